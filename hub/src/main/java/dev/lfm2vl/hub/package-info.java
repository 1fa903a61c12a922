/**
 * Resolving and downloading an LFM2-VL model pair (text GGUF + mmproj GGUF) from a Hugging Face-style hub into a
 * resumable local cache.
 *
 * <p>Typical use (what {@code lfm2vl --hf REPO[:QUANT] [--offline]} does):
 * <pre>{@code
 * HubModelRef ref = HubModelRef.parse(spec);              // null/"" = LiquidAI/LFM2-VL-3B-GGUF:Q4_0
 * try (ModelDownloader d = ModelDownloader.fromEnvironment()) {   // HF_ENDPOINT, HF_TOKEN, LFM2VL_CACHE, XDG_CACHE_HOME
 *     Console c = System.console();
 *     ResolvedModel m = d.resolve(ref, offline, new ConsoleProgress(System.err, c != null && c.isTerminal()));
 *     // m.model(), m.mmproj() (null for a text-only repository)
 * } catch (HubException e) {
 *     System.err.println("error: " + e.getMessage());     // one line, never contains the token
 * }
 * }</pre>
 *
 * <p>Cache layout: {@code <cache>/<owner>/<name>/<file>}, {@code <file>.part} while downloading,
 * {@code .listing.json} = the listing saved at the last online resolution. See {@link ModelDownloader} for the
 * download, resume, verification and retry rules and {@link GgufSelector} for how files are chosen.
 */
package dev.lfm2vl.hub;
