import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const server = new Server({ name: "notes", version: "1.0.0" }, { capabilities: { tools: {} } });
await server.connect(new StdioServerTransport());
