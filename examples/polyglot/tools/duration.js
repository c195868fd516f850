// A JavaScript tool with an npm dependency: `ms` is declared in tools/package.json,
// and mcpgen installs it into tools/node_modules before it describes the tools.
import ms from "ms";

export default {
  metadata: {
    name: "humanize_duration",
    description: "Turn a number of milliseconds into words (90000 -> '2 minutes'), or a duration like '2h' into milliseconds.",
    schemaVersion: "1.0",
    inputSchema: {
      type: "object",
      properties: {
        milliseconds: { type: "number", minimum: 0, description: "A duration in milliseconds." },
        text: { type: "string", description: "A duration such as '2h' or '1.5 days'." },
      },
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  async handler(input) {
    if (typeof input.milliseconds === "number") return ms(input.milliseconds, { long: true });
    if (typeof input.text === "string") {
      const value = ms(input.text);
      if (value === undefined) {
        const error = new Error(`cannot read ${JSON.stringify(input.text)} as a duration`);
        error.name = "ValidationError";
        throw error;
      }
      return String(value);
    }
    throw new Error("give either milliseconds or text");
  },
};
