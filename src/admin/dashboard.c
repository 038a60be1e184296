/* The live dashboard served at `stats uri`.
 *
 * The page is the template src/admin/www/dashboard.html (embedded with its
 * CSS and JavaScript by tools/embed.py into www_gen.c) with its marker
 * comments replaced:
 *   TITLE     the document title
 *   NOSCRIPT  what a browser without JavaScript uses: the static report's
 *             style sheet and, with `stats refresh`, the periodic reload
 *   CSS, JS   the dashboard's style sheet and script
 *   STATIC    the static report's body (stats_html_body): without
 *             JavaScript the page is the classic report; with it, the
 *             script hides it and draws the live view
 *   CONFIG    a JSON object telling the script where the exports are, how
 *             often to poll and the result of the last admin action
 * Everything the page needs is in this one response: no CDN, no external
 * file, so it works on networks without internet access. */
#include <stdio.h>
#include <string.h>
#include <tandem/stats.h>
#include <tandem/stats_export.h>

/* ,"KEY":"URI+SUFFIX" (no comma before the first member). */
static void cfg_uri(struct stats_sb *b, int first, const char *key, const char *uri, const char *suffix)
{
	char tmp[1024];

	snprintf(tmp, sizeof(tmp), "%s%s", uri, suffix);
	stats_sb_addf(b, "%s\"%s\":", first ? "" : ",", key);
	stats_sb_json_str(b, tmp);
}

static void put_config(struct stats_sb *b, const struct proxy *px, const char *status)
{
	const char *uri = px && px->stats_uri ? px->stats_uri : "/";

	stats_sb_adds(b, "{");
	cfg_uri(b, 1, "json", uri, ";json");
	cfg_uri(b, 0, "post", uri, "");
	cfg_uri(b, 0, "csv", uri, ";csv");
	cfg_uri(b, 0, "static", uri, ";static");
	stats_sb_adds(b, ",\"metrics\":\"/metrics\"");
	stats_sb_addf(b, ",\"refresh_ms\":%u", px && px->stats_refresh > 1000 ? px->stats_refresh : 1000u);
	stats_sb_adds(b, ",\"status\":");
	if (status)
		stats_sb_json_str(b, status);
	else
		stats_sb_adds(b, "null");
	stats_sb_adds(b, "}");
}

static void put_noscript(struct stats_sb *b, const struct proxy *px)
{
	if (px && px->stats_refresh)
		stats_sb_addf(b, "<meta http-equiv=\"refresh\" content=\"%u\">",
			      (unsigned)((px->stats_refresh + 999) / 1000));
	stats_sb_adds(b, "<style>");
	stats_sb_adds(b, stats_html_css());
	stats_sb_adds(b, "</style>");
}

static int put_file(struct stats_sb *b, const char *name)
{
	const struct www_file *f = www_find(name);

	if (!f)
		return -1;
	stats_sb_add(b, f->data, f->len);
	return 0;
}

char *stats_render_dashboard(const struct cfg *cfg, const struct proxy *px, const char *status,
			     size_t *len)
{
	const struct www_file *tpl = www_find("dashboard.html");
	struct stats_sb b = { 0 };
	const char *p, *end;

	if (!tpl)
		return NULL;
	p = tpl->data;
	end = p + tpl->len;
	while (p < end) {
		const char *m = memmem(p, (size_t)(end - p), "<!--@", 5), *e;
		size_t nl;

		if (!m || !(e = memmem(m + 5, (size_t)(end - m - 5), "@-->", 4))) {
			stats_sb_add(&b, p, (size_t)(end - p));
			break;
		}
		stats_sb_add(&b, p, (size_t)(m - p));
		m += 5;
		nl = (size_t)(e - m);
		if (nl == 5 && !memcmp(m, "TITLE", 5))
			stats_sb_adds(&b, "Statistics Report for tandem");
		else if (nl == 8 && !memcmp(m, "NOSCRIPT", 8))
			put_noscript(&b, px);
		else if (nl == 3 && !memcmp(m, "CSS", 3))
			b.err |= put_file(&b, "dashboard.css") < 0;
		else if (nl == 2 && !memcmp(m, "JS", 2))
			b.err |= put_file(&b, "dashboard.js") < 0;
		else if (nl == 6 && !memcmp(m, "STATIC", 6))
			stats_html_body(&b, cfg, px);
		else if (nl == 6 && !memcmp(m, "CONFIG", 6))
			put_config(&b, px, status);
		p = e + 4;   /* an unknown marker is dropped */
	}
	return stats_sb_finish(&b, len);
}
