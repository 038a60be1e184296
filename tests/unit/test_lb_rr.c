/* Smooth weighted round-robin: exact ratios, evenly spread. */
#include <tandem/lb.h>
#include "unit.h"

static void run(const int *w, int n, int rounds, char *out)
{
	int cw[8] = { 0 }, i;

	for (i = 0; i < rounds; i++)
		out[i] = (char)('A' + lb_swrr_step(w, cw, n));
	out[rounds] = 0;
}

int main(void)
{
	char seq[64];
	int w31[] = { 3, 1 }, w11[] = { 1, 1, 1 }, w521[] = { 5, 1, 1 }, w0[] = { 2, 0 };
	int i, counts[3] = { 0 };

	run(w31, 2, 8, seq);
	CHECKF(!strcmp(seq, "AABAAABA"), "swrr 3:1 gives AABA repeated (got %s)", seq);
	run(w11, 3, 6, seq);
	CHECKF(!strcmp(seq, "ABCABC"), "swrr 1:1:1 rotates (got %s)", seq);
	/* nginx's documented example: weights 5,1,1 give a a b a c a a */
	run(w521, 3, 7, seq);
	CHECKF(!strcmp(seq, "AABACAA"), "swrr 5:1:1 is smooth (got %s)", seq);
	run(w0, 2, 4, seq);
	CHECKF(!strcmp(seq, "AAAA"), "swrr weight 0 never picked (got %s)", seq);
	run(w521, 3, 63, seq);
	for (i = 0; i < 63; i++)
		counts[seq[i] - 'A']++;
	CHECK("swrr 5:1:1 over 9 cycles gives 45/9/9", counts[0] == 45 && counts[1] == 9 && counts[2] == 9);
	UNIT_END();
}
