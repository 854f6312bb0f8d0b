/*
 * rx_gosyntax.c: what Go's regexp refuses and RE2 accepts (see rx_gosyntax.h).
 */
#include "rx_gosyntax.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names \p{...} takes in Go 1.19: "Any", unicode.Categories and
 * unicode.Scripts (Unicode 13.0.0), sorted for bsearch. */
static const char *const go_unicode_names[] = {
	"Adlam", "Ahom", "Anatolian_Hieroglyphs", "Any", "Arabic", "Armenian", "Avestan", "Balinese",
	"Bamum", "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi", "Braille",
	"Buginese", "Buhid", "C", "Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Cc", "Cf",
	"Chakma", "Cham", "Cherokee", "Chorasmian", "Co", "Common", "Coptic", "Cs", "Cuneiform",
	"Cypriot", "Cyrillic", "Deseret", "Devanagari", "Dives_Akuru", "Dogra", "Duployan",
	"Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic", "Gothic",
	"Grantha", "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han", "Hangul", "Hanifi_Rohingya",
	"Hanunoo", "Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic", "Inherited",
	"Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese", "Kaithi", "Kannada", "Katakana",
	"Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "L", "Lao",
	"Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu", "Ll", "Lm", "Lo", "Lt", "Lu",
	"Lycian", "Lydian", "M", "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean", "Marchen",
	"Masaram_Gondi", "Mc", "Me", "Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
	"Meroitic_Hieroglyphs", "Miao", "Mn", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "N",
	"Nabataean", "Nandinagari", "Nd", "New_Tai_Lue", "Newa", "Nko", "Nl", "No", "Nushu",
	"Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki", "Old_Hungarian", "Old_Italic", "Old_North_Arabian",
	"Old_Permic", "Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Oriya", "Osage",
	"Osmanya", "P", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Pc", "Pd", "Pe", "Pf", "Phags_Pa",
	"Phoenician", "Pi", "Po", "Ps", "Psalter_Pahlavi", "Rejang", "Runic", "S", "Samaritan",
	"Saurashtra", "Sc", "Sharada", "Shavian", "Siddham", "SignWriting", "Sinhala", "Sk", "Sm", "So",
	"Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese", "Syloti_Nagri", "Syriac", "Tagalog",
	"Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri", "Tamil", "Tangut", "Telugu", "Thaana",
	"Thai", "Tibetan", "Tifinagh", "Tirhuta", "Ugaritic", "Vai", "Wancho", "Warang_Citi", "Yezidi",
	"Yi", "Z", "Zanabazar_Square", "Zl", "Zp", "Zs",
};

static int cmp_name(const void *k, const void *e)
{
	return strcmp((const char *)k, *(const char *const *)e);
}

static bool go_has_name(const char *s, size_t n)
{
	char name[64];
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, s, n);
	name[n] = '\0';
	return bsearch(name, go_unicode_names, sizeof(go_unicode_names) / sizeof(go_unicode_names[0]),
	               sizeof(go_unicode_names[0]), cmp_name) != NULL;
}

/* ---- the height of Go's parse tree ---------------------------------------- */

/* One open group: its alternation so far and the concatenation being read. */
struct frame {
	bool capture;
	int alt_n;          /* finished branches */
	int alt_max;        /* their tallest */
	bool alt_simple;    /* every finished branch one char or class (Go makes a class of them) */
	int cat_n;          /* items in the current branch */
	int cat_max;        /* its tallest item */
	int last_h;         /* the last item's height */
	int last_lit;       /* chars in the last item when it is a literal run, else 0 */
	bool last_simple;   /* the last item is one char or class */
};

struct scan {
	const char *p, *end, *start;
	int tallest;
	char *err;
	size_t errcap;
};

static void frame_init(struct frame *f, bool capture)
{
	memset(f, 0, sizeof(*f));
	f->capture = capture;
	f->alt_simple = true;
}

static void note(struct scan *s, int h)
{
	if (h > s->tallest)
		s->tallest = h;
}

/* An item of the concatenation: lit = 1 for a literal char (merged with
 * a literal run before it), simple for a one-char item or a class. */
static void item(struct scan *s, struct frame *f, int h, bool lit, bool simple)
{
	if (lit && f->last_lit > 0) {
		f->last_lit++;
		f->last_simple = false;
		return;
	}
	f->cat_n++;
	f->last_h = h;
	f->last_lit = lit ? 1 : 0;
	f->last_simple = simple;
	if (h > f->cat_max)
		f->cat_max = h;
	note(s, h);
}

/* A repetition applies to the last item (to the last char of a run). */
static void repeat(struct scan *s, struct frame *f)
{
	if (f->cat_n == 0)
		return; /* RE2 refuses "missing argument" */
	if (f->last_lit > 1)
		f->cat_n++; /* the run splits: "ab*" is ab-literal then star(b) */
	int h = (f->last_lit > 0 ? 1 : f->last_h) + 1;
	f->last_h = h;
	f->last_lit = 0;
	f->last_simple = false;
	if (h > f->cat_max)
		f->cat_max = h;
	note(s, h);
}

static int branch_height(const struct frame *f)
{
	if (f->cat_n == 0)
		return 1; /* Go's EmptyMatch */
	return f->cat_n == 1 ? f->cat_max : f->cat_max + 1;
}

static void end_branch(struct scan *s, struct frame *f)
{
	int h = branch_height(f);
	note(s, h);
	f->alt_simple = f->alt_simple && f->cat_n == 1 && (f->last_simple || f->last_lit == 1);
	f->alt_n++;
	if (h > f->alt_max)
		f->alt_max = h;
	f->cat_n = f->cat_max = f->last_h = f->last_lit = 0;
	f->last_simple = false;
}

/* The height of a closed group's content (its alternation). */
static int group_height(struct scan *s, struct frame *f, bool *simple)
{
	end_branch(s, f);
	*simple = f->alt_simple && f->alt_n >= 1;
	int h = f->alt_n > 1 && !f->alt_simple ? f->alt_max + 1 : f->alt_max;
	if (h < 1)
		h = 1;
	note(s, h);
	return h;
}

/* Refuse the construct at[0, n) with why. */
static int refuse(struct scan *s, const char *at, size_t n, const char *why)
{
	snprintf(s->err, s->errcap, "%.*s at offset %zu: %s", (int)n, at, (size_t)(at - s->start), why);
	return -1;
}

/* A repetition operator at s->p? Returns its length (0: none). Go takes
 * {n}, {n,} and {n,m} (digits only); anything else is literal. */
static size_t repeat_len(const char *p, const char *end)
{
	if (p >= end)
		return 0;
	if (*p == '*' || *p == '+' || *p == '?')
		return (p + 1 < end && p[1] == '?') ? 2 : 1;
	if (*p != '{')
		return 0;
	const char *q = p + 1;
	const char *d = q;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q == d)
		return 0;
	if (q < end && *q == ',') {
		q++;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q >= end || *q != '}')
		return 0;
	q++;
	if (q < end && *q == '?')
		q++;
	return (size_t)(q - p);
}

/* An escape at p (p[0] == '\\'), in a class or not. Checks \C and \p
 * names; *adv is its length; *kind: 'l' literal char, 'c' class,
 * 'e' empty-width, 'q' \Q. */
static int escape(struct scan *s, const char *p, bool in_class, size_t *adv, char *kind)
{
	const char *end = s->end;
	*adv = 2;
	*kind = 'l';
	if (p + 1 >= end)
		return 0; /* trailing \: RE2 refuses it */
	char c = p[1];
	switch (c) {
	case 'C':
		if (!in_class)
			return refuse(s, p, 2, "invalid escape sequence (Go has no \\C)");
		return 0;
	case 'p':
	case 'P': {
		*kind = 'c';
		const char *name = p + 2, *ne;
		if (name >= end)
			return 0;
		if (*name == '{') {
			const char *close = memchr(name, '}', (size_t)(end - name));
			if (!close)
				return 0;
			*adv = (size_t)(close + 1 - p);
			name++;
			ne = close;
			if (name < ne && *name == '^')
				name++;
		} else {
			if ((unsigned char)*name >= 0x80)
				return 0; /* RE2 refuses a non-ASCII one-letter name too */
			*adv = 3;
			ne = name + 1;
		}
		if (!go_has_name(name, (size_t)(ne - name)))
			return refuse(s, p, *adv, "unknown Unicode class (not in Go 1.19's tables)");
		return 0;
	}
	case 'x':
		if (p + 2 < end && p[2] == '{') {
			const char *close = memchr(p + 2, '}', (size_t)(end - (p + 2)));
			*adv = close ? (size_t)(close + 1 - p) : (size_t)(end - p);
		} else {
			*adv = p + 4 <= end ? 4 : (size_t)(end - p);
		}
		return 0;
	case 'Q':
		*kind = 'q';
		return 0;
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		*kind = 'c';
		return 0;
	case 'b': case 'B': case 'A': case 'z':
		*kind = 'e';
		return 0;
	default:
		if ((unsigned char)c >= 0x80) {
			/* an escaped non-ASCII char: RE2 and Go refuse; skip the rune */
			size_t k = 2;
			while (p + k < end && ((unsigned char)p[k] & 0xc0) == 0x80)
				k++;
			*adv = k;
		}
		return 0;
	}
}

/* A class [...] at p; returns its length (the rest of the pattern when
 * unterminated, which RE2 refuses), or 0 after refusing. */
static size_t char_class(struct scan *s, const char *p)
{
	const char *q = p + 1, *end = s->end;
	if (q < end && *q == '^')
		q++;
	if (q < end && *q == ']')
		q++; /* a leading ] is literal */
	while (q < end && *q != ']') {
		if (*q == '\\') {
			size_t adv;
			char kind;
			if (escape(s, q, true, &adv, &kind) < 0)
				return 0;
			q += adv;
		} else if (*q == '[' && q + 1 < end && q[1] == ':') {
			const char *c = q + 2;
			while (c + 1 < end && !(c[0] == ':' && c[1] == ']'))
				c++;
			q = c + 1 < end ? c + 2 : q + 1;
		} else {
			q++;
		}
	}
	return q < end ? (size_t)(q + 1 - p) : (size_t)(end - p);
}

static int check(struct scan *sc, struct frame *stack);

int rx_gosyntax_check(const char *pattern, size_t n, char *err, size_t errcap)
{
	struct scan s = { .p = pattern, .end = pattern + n, .start = pattern, .err = err, .errcap = errcap };
	/* At most one group opens per byte. */
	struct frame *stack = malloc((n + 1) * sizeof(*stack));
	if (!stack) {
		snprintf(err, errcap, "out of memory");
		return -2;
	}
	int rc = check(&s, stack);
	free(stack);
	return rc;
}

static int check(struct scan *sc, struct frame *stack)
{
	struct scan s = *sc;
	const char *pattern = s.start, *p = s.start, *end = s.end;
	char *err = s.err;
	size_t errcap = s.errcap;
	int depth = 0;
	frame_init(&stack[0], false);
	while (p < end) {
		struct frame *f = &stack[depth];
		size_t rl;
		char c = *p;
		if (c == '\\') {
			size_t adv;
			char kind;
			if (escape(&s, p, false, &adv, &kind) < 0)
				return -1;
			if (kind == 'q') {
				/* \Q...\E: literal chars */
				p += 2;
				while (p < end && !(p[0] == '\\' && p + 1 < end && p[1] == 'E')) {
					if (((unsigned char)*p & 0xc0) != 0x80)
						item(&s, f, 1, true, true);
					p++;
				}
				if (p < end)
					p += 2;
				continue;
			}
			item(&s, f, 1, kind == 'l', kind != 'e');
			p += adv;
		} else if (c == '[') {
			size_t adv = char_class(&s, p);
			if (adv == 0)
				return -1;
			item(&s, f, 1, false, true);
			p += adv;
		} else if (c == '(') {
			bool capture = true;
			const char *q = p + 1;
			if (q < end && *q == '?') {
				q++;
				if (q < end && *q == '<') {
					snprintf(err, errcap, "(?<...) at offset %zu: Go 1.19 takes named groups as (?P<name>...) "
					         "and has no lookbehind", (size_t)(p - pattern));
					return -1;
				}
				if (q < end && *q == 'P' && q + 1 < end && q[1] == '<') {
					const char *name = q + 2, *ne = name;
					while (ne < end && *ne != '>')
						ne++;
					for (const char *k = name; k < ne; k++) {
						unsigned char b = (unsigned char)*k;
						if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
						      b == '_')) {
							snprintf(err, errcap, "invalid capture name at offset %zu: Go takes ASCII "
							         "letters, digits and _ only", (size_t)(p - pattern));
							return -1;
						}
					}
					q = ne < end ? ne + 1 : ne;
				} else {
					/* flags: (?flags) sets them, (?flags:...) is a group */
					while (q < end && *q != ')' && *q != ':')
						q++;
					if (q < end && *q == ')') {
						p = q + 1;
						continue;
					}
					capture = false;
					if (q < end)
						q++;
				}
			} else {
				q = p + 1;
			}
			depth++;
			frame_init(&stack[depth], capture);
			p = q;
		} else if (c == ')') {
			if (depth == 0)
				return 0; /* unbalanced: RE2 refuses it */
			bool simple;
			int h = group_height(&s, f, &simple);
			bool cap = f->capture;
			depth--;
			if (cap)
				item(&s, &stack[depth], h + 1, false, false);
			else
				item(&s, &stack[depth], h, false, simple && h == 1);
			p++;
		} else if (c == '|') {
			end_branch(&s, f);
			p++;
		} else if ((rl = repeat_len(p, end)) > 0) {
			repeat(&s, f);
			p += rl;
		} else if (c == '.') {
			item(&s, f, 1, false, true);
			p++;
		} else if (c == '^' || c == '$') {
			item(&s, f, 1, false, false);
			p++;
		} else {
			if (((unsigned char)c & 0xc0) != 0x80)
				item(&s, f, 1, true, true);
			p++;
		}
		if (s.tallest > RX_GO_MAX_HEIGHT) {
			snprintf(err, errcap, "expression nests too deeply (a parse tree over %d levels, as Go refuses)",
			         RX_GO_MAX_HEIGHT);
			return -1;
		}
	}
	if (depth > 0)
		return 0; /* unclosed groups: RE2 refuses "missing )" */
	bool simple;
	(void)group_height(&s, &stack[0], &simple);
	if (s.tallest > RX_GO_MAX_HEIGHT) {
		snprintf(err, errcap, "expression nests too deeply (a parse tree over %d levels, as Go refuses)",
		         RX_GO_MAX_HEIGHT);
		return -1;
	}
	return 0;
}
