/* Linear buffers: append, consume, compaction and bounds. */
#include <tandem/buf.h>
#include "unit.h"

int main(void)
{
	struct buf b = { 0 };

	CHECK("alloc", buf_alloc(&b, 16) == 0 && b.size == 16);
	CHECK("append fits", buf_append(&b, "0123456789", 10) == 0 && b.data == 10);
	CHECK("append too big refused whole", buf_append(&b, "0123456789", 10) == -1 && b.data == 10);
	buf_consume(&b, 8);
	CHECK("consume moves head", b.head == 8 && b.data == 2 && !memcmp(buf_ptr(&b), "89", 2));
	CHECK("append compacts when needed", buf_append(&b, "abcdefghij", 10) == 0 && b.head == 0 &&
	      !memcmp(buf_ptr(&b), "89abcdefghij", 12));
	CHECK("appendf overflow refused", buf_appendf(&b, "%s", "toolong") == -1 && b.data == 12);
	CHECK("appendf", buf_appendf(&b, "%d", 42) == 0 && !memcmp(buf_ptr(&b) + 12, "42", 2));
	buf_consume(&b, b.data);
	CHECK("empty resets head", b.head == 0 && b.data == 0);
	buf_release(&b);
	CHECK("release frees when empty", b.area == NULL);
	buf_free(&b);

	/* after a burst the thread gives memory back once, not at every call */
	{
		enum { N = 300 };
		static struct buf many[N];
		int ok = 1;

		CHECK("no trim without a burst", buf_trim_idle() == 0);
		for (int i = 0; i < N; i++)
			ok &= buf_alloc(&many[i], 16384) == 0;
		CHECK("burst allocated", ok);
		CHECK("no trim while the buffers are in use", buf_trim_idle() == 0);
		for (int i = 0; i < N / 2; i++)
			buf_release(&many[i]);
		CHECK("no trim when half of them went back (2.4 MB below the peak)", buf_trim_idle() == 0);
		for (int i = N / 2; i < N; i++)
			buf_release(&many[i]);
		CHECK("trim once all went back (4.8 MB below the peak)", buf_trim_idle() == 1);
		CHECK("no second trim", buf_trim_idle() == 0);
		ok = 1;
		for (int i = 0; i < N; i++)
			ok &= buf_alloc(&many[i], 16384) == 0 && many[i].size == 16384;
		CHECK("areas usable after a trim", ok);
		for (int i = 0; i < N; i++)
			buf_free(&many[i]);
		buf_pool_flush();
	}
	UNIT_END();
}
