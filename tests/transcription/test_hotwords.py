from enable.transcription import Word, hotwords_prompt, respell


def words_of(*texts):
    words = [Word(float(i), i + 0.5, text, 0.9, None) for i, text in enumerate(texts)]
    return words, [f" {text}" for text in texts]


def test_the_prompt_is_a_short_list_of_unique_names():
    assert hotwords_prompt(["ComfyUI", " Gong ", "comfyui", "", "Acme  Cloud"]) == "ComfyUI, Gong, Acme Cloud."
    assert hotwords_prompt("Gong") == "Gong."
    assert hotwords_prompt([]) is None


def test_a_recognised_name_gets_the_teams_spelling_and_keeps_its_punctuation():
    words, raw = words_of("your", "comfyUI", "folder,", "the", "COMFYUI.")
    fixed, fixed_raw = respell(words, raw, ["ComfyUI"])
    assert [w.text for w in fixed] == ["your", "ComfyUI", "folder,", "the", "ComfyUI."]
    assert "".join(fixed_raw) == " your ComfyUI folder, the ComfyUI."
    assert [w.start for w in fixed] == [w.start for w in words]
    assert words[1].text == "comfyUI"  # the input is left alone


def test_names_of_several_words_match_word_by_word():
    words, raw = words_of("we", "use", "acme", "cloud.", "acme", "is", "fine")
    fixed, _ = respell(words, raw, ["Acme Cloud"])
    assert [w.text for w in fixed] == ["we", "use", "Acme", "Cloud.", "acme", "is", "fine"]


def test_other_words_that_merely_contain_a_name_are_untouched():
    words, raw = words_of("gongs", "along", "1c-ready")
    fixed, _ = respell(words, raw, ["Gong", "1C"])
    assert [w.text for w in fixed] == ["gongs", "along", "1c-ready"]
