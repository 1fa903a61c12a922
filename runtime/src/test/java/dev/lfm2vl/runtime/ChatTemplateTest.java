package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lfm2vl.runtime.ChatTemplate.Image;
import dev.lfm2vl.runtime.ChatTemplate.Message;
import dev.lfm2vl.runtime.ChatTemplate.Piece;
import dev.lfm2vl.runtime.ChatTemplate.Text;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    @Test
    void systemAndUserWithGenerationPromptRenderAsChatMlWithoutBosText() {
        String s = ChatTemplate.render(List.of(
                Message.system("You are a helpful assistant."),
                Message.user("What is 2+2?")), true);
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
                + "<|im_start|>assistant\n", s);
        assertFalse(s.contains("<|startoftext|>"));
    }

    @Test
    void withoutGenerationPromptTheLastTurnIsClosed() {
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n",
                ChatTemplate.render(List.of(Message.user("hi"), Message.assistant("hello")), false));
    }

    @Test
    void imagesWithoutMarkerGetOneMarkerEachPrependedToTheUserText() {
        assertEquals("<|im_start|>user\n<__media__>Describe this image.<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.render(List.of(Message.user("Describe this image.", 1)), true));
        assertEquals(List.of(new Text("<|im_start|>user\n"), new Image(0), new Image(1),
                        new Text("Compare.<|im_end|>\n<|im_start|>assistant\n")),
                ChatTemplate.pieces(List.of(Message.user("Compare.", 2)), true));
    }

    @Test
    void imageSlotsComeOutWhereTheMarkersAre() {
        List<Piece> p = ChatTemplate.pieces(List.of(
                Message.system("sys"),
                Message.user("first <__media__> then <__media__>", 2),
                Message.assistant("ok"),
                Message.user("<__media__>and this?", 1)), true);
        assertEquals(List.of(
                new Text("<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nfirst "),
                new Image(0),
                new Text(" then "),
                new Image(1),
                new Text("<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n<|im_start|>user\n"),
                new Image(2),
                new Text("and this?<|im_end|>\n<|im_start|>assistant\n")), p);
    }

    @Test
    void markerCountMustMatchTheImageCount() {
        assertThrows(IllegalArgumentException.class,
                () -> ChatTemplate.pieces(List.of(Message.user("<__media__> and <__media__>", 1)), true));
        assertThrows(IllegalArgumentException.class,
                () -> ChatTemplate.pieces(List.of(Message.user("<__media__>")), true));
        assertThrows(IllegalArgumentException.class, () -> new Message(ChatTemplate.Role.SYSTEM, "x", 1),
                "only user messages carry images");
    }

    @Test
    void continuationRendersOnlyTheNewTurnAndTheGenerationPrompt() {
        assertEquals("<|im_start|>user\nAnd now?<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.render(List.of(Message.user("And now?")), true));
        assertEquals(List.of(new Text("<|im_start|>user\n"), new Image(0), new Text("More.<|im_end|>\n<|im_start|>assistant\n")),
                ChatTemplate.continuation(Message.user("More.", 1), true));
    }

    @Test
    void conversationRenderedInTurnsConcatenatesToTheWholeRender() {
        List<Message> all = List.of(Message.system("s"), Message.user("u1"), Message.assistant("a1"), Message.user("u2"));
        String whole = ChatTemplate.render(all, true);
        // First turn with prompt, then the assistant reply as generated (+ <|im_end|>\n), then the continuation.
        String first = ChatTemplate.render(all.subList(0, 2), true);
        String reply = "a1<|im_end|>\n";
        String next = ChatTemplate.render(List.of(all.get(3)), true); // the continuation: one message on its own
        assertEquals(whole, first + reply + next);
    }
}
