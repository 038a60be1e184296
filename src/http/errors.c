/* Responses tandem generates itself, and HTTP reason phrases.
 *
 * Error pages mimic HAProxy's: a tiny HTML body, "connection: close" and
 * "cache-control: no-cache" so that no cache keeps a transient failure. They
 * are built once (pthread_once) into static storage with their exact
 * Content-Length, so sending one is a single write of a constant buffer. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <tandem/compat.h>
#include <tandem/errors.h>

/* One generated page. <reason> is the phrase on the status line and in the
 * title; it keeps HAProxy's historical wording where HAProxy users expect it
 * ("Request Time-out"), which is why it is not simply http_reason(). */
struct err_page {
	int status;
	const char *reason;
	const char *explain;     /* one sentence for a human reader */
	char *msg;               /* the whole response, built at first use */
	size_t len;
};

static struct err_page err_pages[] = {
	{ 400, "Bad request", "The request could not be understood: it is not valid HTTP/1.1.", NULL, 0 },
	{ 403, "Forbidden", "Access to this resource is denied by the proxy's rules.", NULL, 0 },
	{ 404, "Not Found", "Nothing here matches the requested resource.", NULL, 0 },
	{ 405, "Method Not Allowed", "This method cannot be used on this resource.", NULL, 0 },
	{ 408, "Request Time-out", "The request was not received completely in the allowed time.", NULL, 0 },
	{ 413, "Payload Too Large", "The request body is larger than the proxy accepts.", NULL, 0 },
	{ 414, "URI Too Long", "The request target is longer than the proxy accepts.", NULL, 0 },
	{ 421, "Misdirected Request", "This connection cannot serve requests for that authority.", NULL, 0 },
	{ 429, "Too Many Requests", "Too many requests were sent; slow down and retry later.", NULL, 0 },
	{ 431, "Request Header Fields Too Large", "The request headers are larger than the proxy accepts.", NULL, 0 },
	{ 500, "Internal Server Error", "The proxy hit an internal error while handling this request.", NULL, 0 },
	{ 501, "Not Implemented", "The proxy does not support a feature this request needs.", NULL, 0 },
	{ 502, "Bad Gateway", "The server sent an invalid or incomplete response.", NULL, 0 },
	{ 503, "Service Unavailable", "No server is available to handle this request.", NULL, 0 },
	{ 504, "Gateway Time-out", "The server did not answer in time.", NULL, 0 },
	{ 505, "HTTP Version Not Supported", "This HTTP version is not supported; use HTTP/1.1.", NULL, 0 },
};

static pthread_once_t err_once = PTHREAD_ONCE_INIT;
/* Backing storage for all pages: a few hundred bytes each. */
static char err_store[ARRAY_SIZE(err_pages) * 512];

/* Build every page into err_store. Runs exactly once. */
static void err_build(void)
{
	size_t off = 0;

	for (size_t i = 0; i < ARRAY_SIZE(err_pages); i++) {
		struct err_page *p = &err_pages[i];
		char body[320];
		int blen = snprintf(body, sizeof(body),
				    "<html><body><h1>%d %s</h1>\n%s\n</body></html>\n",
				    p->status, p->reason, p->explain);
		int n = snprintf(err_store + off, sizeof(err_store) - off,
				 "HTTP/1.1 %d %s\r\n"
				 "content-length: %d\r\n"
				 "cache-control: no-cache\r\n"
				 "content-type: text/html\r\n"
				 "connection: close\r\n"
				 "\r\n"
				 "%s",
				 p->status, p->reason, blen, body);
		p->msg = err_store + off;
		p->len = (size_t)n;
		off += (size_t)n + 1;   /* keep each page NUL-terminated */
	}
}

const char *http_error_msg(int status, size_t *len)
{
	const struct err_page *fallback = NULL;

	pthread_once(&err_once, err_build);
	for (size_t i = 0; i < ARRAY_SIZE(err_pages); i++) {
		if (err_pages[i].status == status) {
			if (len)
				*len = err_pages[i].len;
			return err_pages[i].msg;
		}
		if (err_pages[i].status == 500)
			fallback = &err_pages[i];
	}
	if (len)
		*len = fallback->len;
	return fallback->msg;
}

/* RFC 9110 section 15 phrases, plus the registered extensions still seen in
 * practice (RFC 6585, 7725, 8297, 8470). Sorted by code. */
static const struct { short code; const char *text; } reasons[] = {
	{ 100, "Continue" }, { 101, "Switching Protocols" }, { 103, "Early Hints" },
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
	{ 205, "Reset Content" }, { 206, "Partial Content" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" }, { 302, "Found" },
	{ 303, "See Other" }, { 304, "Not Modified" }, { 305, "Use Proxy" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
	{ 411, "Length Required" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" }, { 421, "Misdirected Request" },
	{ 422, "Unprocessable Content" }, { 425, "Too Early" }, { 426, "Upgrade Required" },
	{ 428, "Precondition Required" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" }, { 451, "Unavailable For Legal Reasons" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" }, { 511, "Network Authentication Required" },
};

const char *http_reason(int status)
{
	size_t lo = 0, hi = ARRAY_SIZE(reasons);

	while (lo < hi) {           /* binary search on the sorted table */
		size_t mid = (lo + hi) / 2;
		if (reasons[mid].code == status)
			return reasons[mid].text;
		if (reasons[mid].code < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "";
}
