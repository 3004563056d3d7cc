// LLVMFuzzerRunDriver is defined by libFuzzer's runtime, linked in by -sanitize=fuzzer.
#include "CFuzzer.h"
