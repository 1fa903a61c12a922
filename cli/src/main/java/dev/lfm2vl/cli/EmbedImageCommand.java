package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.VisionModel;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lfm2vl embed-image}: the image vectors that go into the language model, as raw float32. */
@Command(name = "embed-image", mixinStandardHelpOptions = true,
        description = "Encode an image (vision tower + projector) and write the image embeddings of all its chunks in prompt "
                + "order: raw little-endian float32, one row of the text model's width per image token. --layout writes the "
                + "chunk layout of the prompt '<|im_start|>user\\n<image>Describe this image.<|im_end|>\\n<|im_start|>assistant\\n' "
                + "as JSON (text chunks with token ids, image chunks with token count and tile size).",
        footer = {"", "Examples:",
                "  lfm2vl embed-image -m model.gguf --mmproj mmproj.gguf photo.jpg --out photo.f32",
                "  lfm2vl embed-image -m model.gguf --mmproj mmproj.gguf photo.jpg --out photo.f32 --layout photo.json --preprocess llama.cpp"})
final class EmbedImageCommand implements Callable<Integer> {
    /** The user message of the layout prompt. */
    static final String LAYOUT_PROMPT = "Describe this image.";

    @Mixin
    ModelOptions options;

    @Mixin
    VisionOptions vision;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image (${sys:lfm2vl.image.formats}).")
    Path image;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.f32", description = "Where to write the embeddings.")
    Path out;

    @Option(names = "--layout", paramLabel = "FILE.json", description = "Also write the prompt's chunk layout as JSON.")
    Path layout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        vision.pairedWith(options).requireMmproj("to encode images");
        PrintWriter err = spec.commandLine().getErr();
        try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(options.modelPath(), pool);
             VisionModel vm = vision.load(pool, model)) {
            ImageConversation conversation = new ImageConversation(model, vm, vision, options.contextSize(model.config().contextLength(), err));
            Prompt prompt = conversation.prompt(null, LAYOUT_PROMPT, List.of(image), err).encode(vm, Listener.NONE);
            int dim = vm.config().projectionDim();
            ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(Math.multiplyExact(prompt.imageTokens(), dim), 4))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (Prompt.Image c : prompt.imageParts()) {
                for (float f : c.vectors()) {
                    buf.putFloat(f);
                }
            }
            AtomicFiles.write(out, buf.array());
            if (layout != null) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("image", image.toString());
                json.put("preprocess", vision.preprocess == dev.lfm2vl.runtime.PreprocessMode.HF ? "hf" : "llama.cpp");
                json.put("n_embd", dim);
                json.put("n_image_tokens_total", prompt.imageTokens());
                json.put("n_prompt_positions", prompt.positions());
                json.put("chunks", prompt.layout());
                AtomicFiles.write(layout, (JsonWriter.write(json, true) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            if (vision.verbose) {
                err.println("wrote " + prompt.imageTokens() + " x " + dim + " floats to " + out);
            }
        }
        return Main.EXIT_OK;
    }
}
