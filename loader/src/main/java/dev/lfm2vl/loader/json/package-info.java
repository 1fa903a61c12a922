/**
 * Strict JSON text (RFC 8259) without a library: {@link dev.lfm2vl.loader.json.Json} reads one value and writes values
 * back compactly. Here because every module that reads JSON depends on the loader: the hub (model listings), the
 * runtime (JSON Schemas for structured output) and, through them, the command line (bench results, caption logs).
 */
package dev.lfm2vl.loader.json;
