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
	UNIT_END();
}
