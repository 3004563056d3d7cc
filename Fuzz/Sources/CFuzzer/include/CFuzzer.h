// libFuzzer's entry for programs that keep their own `main` (SwiftPM names every executable's entry
// point itself, so a harness cannot leave `main` to libFuzzer's runtime).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
