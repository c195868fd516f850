// add_js: the same trivial tool in JavaScript, run by the Node worker pool.
export const metadata = {
  name: "add_js",
  description: "Add two integers (Node).",
  schemaVersion: "1.0",
  inputSchema: {
    type: "object",
    properties: { a: { type: "integer" }, b: { type: "integer" } },
    required: ["a", "b"],
  },
  annotations: { readOnlyHint: true },
};

export default async function handler(input) {
  return input.a + input.b;
}
