package dev.lfm2vl.hub;

import java.nio.file.Path;

/**
 * The local, complete files of a resolved model.
 *
 * @param model  the text GGUF
 * @param mmproj the vision projector GGUF, or null when the repository has none (a text-only model)
 */
public record ResolvedModel(Path model, Path mmproj) {

    public ResolvedModel {
        if (model == null) {
            throw new NullPointerException("model");
        }
    }

    public boolean hasMmproj() {
        return mmproj != null;
    }
}
