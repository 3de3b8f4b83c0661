import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const notes = new Map<string, string>();

function buildServer(): McpServer {
  const server = new McpServer({ name: "notes", version: "0.3.0" });
  server.tool("save_note", { title: z.string(), body: z.string() }, async ({ title, body }) => {
    notes.set(title, body);
    return { content: [{ type: "text", text: `saved ${title}` }] };
  });
  server.tool("read_note", { title: z.string() }, async ({ title }) => ({
    content: [{ type: "text", text: notes.get(title) ?? "no such note" }],
  }));
  return server;
}

const app = express();
app.use(express.json());
app.post("/mcp", async (req, res) => {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => transport.close());
  await buildServer().connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.listen(3000);
