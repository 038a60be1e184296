/* Generated error pages: well-formed responses with exact Content-Length,
 * and RFC 9110 reason phrases. */
#include <stdlib.h>
#include <pthread.h>
#include <tandem/errors.h>
#include "unit.h"

/* Split a page at the blank line; check status line, mandatory headers and
 * that content-length matches the body byte count. */
static void check_page(int status, const char *expect_line)
{
	size_t len = 0;
	const char *m = http_error_msg(status, &len);
	const char *sep;
	char want[128];

	CHECKF(m != NULL && len > 0, "%d: page exists", status);
	CHECKF(strlen(m) == len, "%d: NUL-terminated, len matches", status);
	snprintf(want, sizeof(want), "HTTP/1.1 %s\r\n", expect_line);
	CHECKF(strncmp(m, want, strlen(want)) == 0, "%d: status line '%s'", status, expect_line);
	sep = strstr(m, "\r\n\r\n");
	CHECKF(sep != NULL, "%d: head ends with CRLFCRLF", status);
	if (!sep)
		return;
	const char *body = sep + 4;
	const char *cl = strstr(m, "\r\ncontent-length: ");
	CHECKF(cl && cl < sep, "%d: content-length present", status);
	if (cl)
		CHECKF((size_t)atoi(cl + 18) == len - (size_t)(body - m), "%d: content-length exact", status);
	CHECKF(strstr(m, "\r\ncache-control: no-cache\r\n") != NULL, "%d: no-cache", status);
	CHECKF(strstr(m, "\r\ncontent-type: text/html\r\n") != NULL, "%d: text/html", status);
	CHECKF(strstr(m, "\r\nconnection: close\r\n") != NULL, "%d: connection close", status);
	snprintf(want, sizeof(want), "<html><body><h1>%s</h1>\n", expect_line);
	CHECKF(strncmp(body, want, strlen(want)) == 0, "%d: body h1", status);
	CHECKF(len >= 15 && strcmp(m + len - 15, "</body></html>\n") == 0, "%d: body end", status);
	/* exactly one explanation line between h1 and the closing tags */
	const char *l2 = strchr(body, '\n');
	CHECKF(l2 && strchr(l2 + 1, '\n') && strncmp(strchr(l2 + 1, '\n') + 1, "</body>", 7) == 0,
	       "%d: one explanation line", status);
}

static void *race(void *arg)
{
	size_t len;
	*(const char **)arg = http_error_msg(503, &len);
	return NULL;
}

int main(void)
{
	static const struct { int s; const char *line; } pages[] = {
		{ 400, "400 Bad request" }, { 403, "403 Forbidden" }, { 404, "404 Not Found" },
		{ 405, "405 Method Not Allowed" }, { 408, "408 Request Time-out" },
		{ 413, "413 Payload Too Large" }, { 414, "414 URI Too Long" },
		{ 421, "421 Misdirected Request" }, { 429, "429 Too Many Requests" },
		{ 431, "431 Request Header Fields Too Large" }, { 500, "500 Internal Server Error" },
		{ 501, "501 Not Implemented" }, { 502, "502 Bad Gateway" },
		{ 503, "503 Service Unavailable" }, { 504, "504 Gateway Time-out" },
		{ 505, "505 HTTP Version Not Supported" },
	};
	pthread_t th[4];
	const char *got[4];

	/* first use from several threads at once: all see the same built page */
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, race, &got[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK("concurrent first use", got[0] && got[0] == got[1] && got[1] == got[2] && got[2] == got[3]);

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		check_page(pages[i].s, pages[i].line);

	size_t l1, l2;
	CHECK("unknown status gives 500 page", http_error_msg(599, &l1) == http_error_msg(500, &l2) && l1 == l2);
	CHECK("NULL len accepted", http_error_msg(503, NULL) != NULL);
	CHECK("503 explanation", strstr(http_error_msg(503, NULL), "\nNo server is available to handle this request.\n") != NULL);

	CHECK("reason 200", strcmp(http_reason(200), "OK") == 0);
	CHECK("reason 100", strcmp(http_reason(100), "Continue") == 0);
	CHECK("reason 308", strcmp(http_reason(308), "Permanent Redirect") == 0);
	CHECK("reason 408 (RFC 9110)", strcmp(http_reason(408), "Request Timeout") == 0);
	CHECK("reason 413 (RFC 9110)", strcmp(http_reason(413), "Content Too Large") == 0);
	CHECK("reason 422", strcmp(http_reason(422), "Unprocessable Content") == 0);
	CHECK("reason 503", strcmp(http_reason(503), "Service Unavailable") == 0);
	CHECK("reason 511", strcmp(http_reason(511), "Network Authentication Required") == 0);
	CHECK("reason unknown", strcmp(http_reason(299), "") == 0 && strcmp(http_reason(-1), "") == 0);
	UNIT_END();
}
