package dev.sculpt.clbench;

/** One entry of a split file: {@code {"label": ..., "sentence": ...}}, with its position in the file. */
record LabeledSentence(String label, String sentence, int index) {}
