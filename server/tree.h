/*
 * tree.h: the former name of view.h, kept only for tests/unit/test_pprof.c,
 * which includes it; new code includes view.h.
 */
#include "view.h"
