/* Routing of stats requests: `stats uri` serves the page, `;csv` the CSV
 * export, and so on. */
#include <string.h>
#include <tandem/stats.h>
#include <tandem/stats_http.h>

int stats_http_match(const struct proxy *px, const char *uri, size_t urilen)
{
	size_t ul;

	if (!px->stats_enabled || !px->stats_uri)
		return 0;
	ul = strlen(px->stats_uri);
	return urilen >= ul && !memcmp(uri, px->stats_uri, ul);
}

int stats_http_serve(const struct cfg *cfg, const struct proxy *px, const char *method,
		     const char *uri, size_t urilen, const char *body, size_t bodylen,
		     struct stats_reply *out)
{
	size_t ul = strlen(px->stats_uri);
	const char *rest = uri + ul;
	size_t restlen = urilen - ul;
	int csv = restlen >= 4 && !memcmp(rest, ";csv", 4);

	(void)method; (void)body; (void)bodylen;
	memset(out, 0, sizeof(*out));
	out->status = 200;
	if (csv) {
		out->ctype = "text/plain";
		out->body = stats_render_csv_px(cfg, px, &out->len);
	} else {
		out->ctype = "text/html; charset=utf-8";
		out->body = stats_render_html(cfg, px, &out->len);
	}
	return out->body ? 0 : -1;
}
