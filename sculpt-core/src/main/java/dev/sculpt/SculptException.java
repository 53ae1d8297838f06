package dev.sculpt;

/**
 * The one error type for bad input and failed operations. Messages always name the culprit
 * (a tensor, a file and line, a flag) so that the command line can print them as they are.
 */
public class SculptException extends RuntimeException {
    public SculptException(String message) {
        super(message);
    }

    public SculptException(String message, Throwable cause) {
        super(message, cause);
    }
}
