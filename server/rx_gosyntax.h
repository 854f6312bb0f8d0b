/*
 * rx_gosyntax.h: refuse the regex syntax that RE2 accepts and Go's regexp
 * (Go 1.19, what go tool pprof compiles filters with) rejects.
 *
 * RE2 and Go's regexp/syntax are one design and accept almost the same
 * language; regex.c runs this check before RE2 sees a pattern so that
 * flamedex refuses exactly what pprof refuses. The differences, found by
 * comparing the two on ~90,000 generated patterns and by hand:
 *   - \C (any byte): RE2 only;
 *   - (?<name>...): Go 1.19 knows only (?P<name>...) (newer RE2 takes both);
 *   - capture names: Go allows ASCII letters, digits and _ only;
 *   - \p{Name} / \pN: Go 1.19 has Unicode 13's scripts; RE2 has newer ones
 *     (Kawi, Vithkuqi, ...): a name is taken only when Go has it;
 *   - nesting: Go refuses a parse tree taller than 1000 ("expression nests
 *     too deeply"); RE2 has no such limit. The height is computed the way
 *     Go's parser builds its tree (captures, repetitions, concatenations
 *     and alternations each add a level; runs of literals are one node).
 * The check is a scanner, linear in the pattern, allocating one frame per
 * open group; it need only be right on patterns RE2 accepts (RE2 refuses the rest).
 */
#ifndef FDX_RX_GOSYNTAX_H
#define FDX_RX_GOSYNTAX_H

#include <stddef.h>

/* Go's maxHeight (regexp/syntax): the tallest parse tree Go accepts. */
#define RX_GO_MAX_HEIGHT 1000

/* 0 when pattern[0, n) uses nothing Go rejects and RE2 accepts; else -1
 * with a message in err (the offending construct named), or -2 when out
 * of memory (a frame of scanner state per byte is allocated). */
int rx_gosyntax_check(const char *pattern, size_t n, char *err, size_t errcap);

#endif
