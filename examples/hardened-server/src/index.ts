import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const port = Number(process.env.PORT ?? 3000);

function buildServer(): McpServer {
  const server = new McpServer({ name: "weather", version: "1.2.0" });
  server.tool("forecast", { city: z.string().max(80) }, async ({ city }) => ({
    content: [{ type: "text", text: `Forecast for ${city}: mild, light wind.` }],
  }));
  return server;
}

const app = express();
app.use(express.json({ limit: "64kb" }));
app.get("/healthz", (_req, res) => res.send("ok"));
app.post("/mcp", async (req, res) => {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => transport.close());
  await buildServer().connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.listen(port);
