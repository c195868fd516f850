/**
 * A TypeScript tool in mcpgen's format: `metadata` with a JSON Schema, and a default `handler(input, ctx)`.
 * Node 24 runs it directly (types are stripped; no compiler step).
 */

type Stats = { words: number; characters: number; longest: string };

export const metadata = {
  name: "word_stats",
  description: "Count the words and characters of a text and find its longest word.",
  schemaVersion: "1.0",
  inputSchema: {
    type: "object",
    properties: { text: { type: "string", description: "The text to measure." } },
    required: ["text"],
    additionalProperties: false,
  },
  outputSchema: {
    type: "object",
    properties: { words: { type: "integer" }, characters: { type: "integer" }, longest: { type: "string" } },
    required: ["words", "characters", "longest"],
  },
  annotations: { readOnlyHint: true },
};

interface Context {
  info(message: string, data?: Record<string, unknown>): void;
  reportProgress(progress: number, total?: number, message?: string): void;
}

export default async function handler(input: { text: string }, ctx: Context): Promise<Stats> {
  const words = input.text.split(/\s+/).filter((w) => w.length > 0);
  ctx.info(`measuring ${words.length} words`);
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a), "");
  ctx.reportProgress(1, 1);
  return { words: words.length, characters: input.text.length, longest };
}
