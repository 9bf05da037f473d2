#!/usr/bin/env node
// The bundled CLI (scripts/bundle.mjs): one module instead of ~230 for Node's ESM loader.
import "../dist/bundle/main.js";
