/* Unit test of tools/app/json.c, tandem-app's reader of POST /api/todos
 * bodies and its escaper: RFC 8259 validity (numbers, literals, nesting,
 * escapes, surrogate pairs, UTF-8), which member is taken, truncation, and
 * the round trip through json_escape_text. The app's sources are not in
 * libtandem.a, so the file is included here. */
#include "unit.h"
#include "../../tools/app/json.c"

static const char *const keys[] = { "text", "texto", NULL };

static int get(const char *doc, char *out, size_t cap)
{
	return json_obj_str(doc, strlen(doc), keys, out, cap);
}

/* {"a":[[...]]} with <arrays> arrays inside the object. */
static void nested(char *out, size_t cap, int arrays)
{
	size_t n = (size_t)snprintf(out, cap, "{\"a\":");
	int i;

	for (i = 0; i < arrays && n + 3 < cap; i++)
		out[n++] = '[';
	for (i = 0; i < arrays && n + 3 < cap; i++)
		out[n++] = ']';
	out[n++] = '}';
	out[n] = 0;
}

int main(void)
{
	static const struct { const char *doc; int want; const char *val; } vec[] = {
		{ "{\"text\":\"buy milk\"}", JSON_FOUND, "buy milk" },
		{ " \r\n\t{ \"texto\" : \"Tarea\" } \n", JSON_FOUND, "Tarea" },
		{ "{\"a\":[1,-2.5e+3,0.1,true,false,null,{\"b\":{}}],\"text\":\"x\"}", JSON_FOUND, "x" },
		{ "{\"text\":\"first\",\"text\":\"second\"}", JSON_FOUND, "first" },
		{ "{\"texto\":\"one\",\"text\":\"two\"}", JSON_FOUND, "one" },
		{ "{\"text\":5,\"texto\":\"s\"}", JSON_FOUND, "s" },
		{ "{\"text\":\"\\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"}", JSON_FOUND, "\"q\" \\ / \b\f\n\r\t" },
		{ "{\"text\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}", JSON_FOUND, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "{\"text\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", JSON_FOUND, "\xc3\xa9\xf0\x9f\x98\x80" },
		{ "{}", JSON_ABSENT, "" },
		{ "{\"other\":\"x\"}", JSON_ABSENT, "" },
		{ "{\"text\":null}", JSON_ABSENT, "" },
		{ "", JSON_BAD, "" },
		{ "[\"text\"]", JSON_BAD, "" },
		{ "\"text\"", JSON_BAD, "" },
		{ "{\"text\":\"x\"} {}", JSON_BAD, "" },
		{ "{\"text\":\"x\",}", JSON_BAD, "" },
		{ "{\"text\" \"x\"}", JSON_BAD, "" },
		{ "{text:\"x\"}", JSON_BAD, "" },
		{ "{\"text\":\"x}", JSON_BAD, "" },
		{ "{\"text\":\"a\nb\"}", JSON_BAD, "" },           /* raw control character */
		{ "{\"text\":\"\\x41\"}", JSON_BAD, "" },          /* unknown escape */
		{ "{\"text\":\"\\u0000\"}", JSON_BAD, "" },        /* NUL */
		{ "{\"text\":\"\\ud83d\"}", JSON_BAD, "" },        /* lone high surrogate */
		{ "{\"text\":\"\\ude00\"}", JSON_BAD, "" },        /* lone low surrogate */
		{ "{\"text\":\"\\u12\"}", JSON_BAD, "" },
		{ "{\"text\":\"\xff\"}", JSON_BAD, "" },           /* not UTF-8 */
		{ "{\"text\":\"\xc0\xaf\"}", JSON_BAD, "" },       /* overlong */
		{ "{\"text\":\"\xed\xa0\x80\"}", JSON_BAD, "" },   /* encoded surrogate */
		{ "{\"text\":\"\xf4\x90\x80\x80\"}", JSON_BAD, "" }, /* above U+10FFFF */
		{ "{\"a\":01}", JSON_BAD, "" },
		{ "{\"a\":-}", JSON_BAD, "" },
		{ "{\"a\":1.}", JSON_BAD, "" },
		{ "{\"a\":1e}", JSON_BAD, "" },
		{ "{\"a\":tru}", JSON_BAD, "" },
		{ "{\"a\":[1 2]}", JSON_BAD, "" },
	};
	char out[64], small[4], deep[200], esc[6 * 64 + 1], doc[512], back[64];
	size_t i;
	int r;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		r = get(vec[i].doc, out, sizeof(out));
		CHECKF(r == vec[i].want, "verdict of vector %zu (got %d, want %d)", i, r, vec[i].want);
		if (vec[i].want == JSON_FOUND)
			CHECKF(!strcmp(out, vec[i].val), "value of vector %zu", i);
	}
	/* a value that does not fit: TOO_LONG, the document still validated whole */
	CHECK("too long", get("{\"text\":\"abcdef\"}", small, sizeof(small)) == JSON_TOO_LONG);
	CHECK("too long but broken is broken", get("{\"text\":\"abcdef\",}", small, sizeof(small)) == JSON_BAD);
	CHECK("fits exactly", get("{\"text\":\"abc\"}", small, sizeof(small)) == JSON_FOUND && !strcmp(small, "abc"));
	/* nesting: JSON_MAX_DEPTH levels, the outer object included, and no more */
	nested(deep, sizeof(deep), JSON_MAX_DEPTH - 1);
	CHECK("nesting at the limit", get(deep, out, sizeof(out)) == JSON_ABSENT);
	nested(deep, sizeof(deep), JSON_MAX_DEPTH);
	CHECK("nesting beyond the limit", get(deep, out, sizeof(out)) == JSON_BAD);
	/* json_escape_text and back */
	json_escape_text(esc, sizeof(esc), "a\"b\\c\nd\x01\xc3\xa9");
	CHECK("escape", !strcmp(esc, "a\\\"b\\\\c\\nd\\u0001\xc3\xa9"));
	snprintf(doc, sizeof(doc), "{\"text\":\"%s\"}", esc);
	CHECK("round trip", get(doc, back, sizeof(back)) == JSON_FOUND && !strcmp(back, "a\"b\\c\nd\x01\xc3\xa9"));
	CHECK("escape stops before overflowing", json_escape_text(small, sizeof(small), "\"\"\"") == 2 &&
	      !strcmp(small, "\\\""));
	UNIT_END();
}
