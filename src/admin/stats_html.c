/* The static HTML statistics report: one self-contained document (inline
 * CSS, no scripts, no external resources) with a process summary and one
 * table per proxy. It is served at `stats uri;static` and `;norefresh`, and
 * its body is the no-script fallback inside the live dashboard
 * (dashboard.c), which `stats uri` serves. Values come from the shared
 * column table (stats.c), so the page and the CSV export always agree.
 *
 * Stable hooks for tests and scripts:
 *   <table class="proxy" id="px-NAME" data-proxy="NAME">
 *   <tr class="frontend|backend|server state-STATUS [backup]" data-proxy="NAME"
 *       [data-server="SRV"]>  with one <td class="c-CSVNAME"> per value.
 * STATUS is the status word lower-cased with spaces as dashes ("no-check").
 * Every name is HTML-escaped.
 *
 * Settings of the stats proxy honoured here (HAProxy's meaning):
 *   stats show-node [NAME]  heading "... on NODE" and an info row (NAME, else
 *                           the global `node`); without it no node is shown
 *   stats show-desc [TEXT]  heading ": TEXT" and an info row (TEXT, else the
 *                           global `description`); without it none is shown
 *   stats show-legends      per proxy "cap, mode, id"; per server a tooltip
 *                           with its id and address
 *   stats scope NAME        only the proxies listed ("." = the stats proxy)
 *   stats hide-version, stats refresh, stats uri (CSV and JSON links). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <tandem/stats.h>
#include <tandem/stats_export.h>
#include <tandem/version.h>

/* Columns shown on the page, in groups. Labels come from stat_cols[]. */
static const struct {
	const char *title;
	int fields[8];           /* terminated by -1 */
} html_groups[] = {
	{ "Session rate", { ST_F_RATE, ST_F_RATE_MAX, ST_F_RATE_LIM, -1 } },
	{ "Sessions",  { ST_F_SCUR, ST_F_SMAX, ST_F_SLIM, ST_F_STOT, ST_F_LBTOT, ST_F_LASTSESS, -1 } },
	{ "Bytes",     { ST_F_BIN, ST_F_BOUT, -1 } },
	{ "HTTP",      { ST_F_REQ_TOT, ST_F_HRSP_1XX, ST_F_HRSP_2XX, ST_F_HRSP_3XX, ST_F_HRSP_4XX,
			 ST_F_HRSP_5XX, ST_F_HRSP_OTHER, -1 } },
	{ "Denied",    { ST_F_DREQ, -1 } },
	{ "Errors",    { ST_F_EREQ, ST_F_ECON, ST_F_ERESP, -1 } },
	{ "Warnings",  { ST_F_WRETR, ST_F_WREDIS, -1 } },
	{ "Avg time (ms)", { ST_F_CTIME, ST_F_RTIME, ST_F_TTIME, -1 } },
	{ "Server",    { ST_F_STATUS, ST_F_LASTCHG, ST_F_WEIGHT, ST_F_ACT, ST_F_BCK, ST_F_PASSIVE_STATE, ST_F_ADDR, -1 } },
};
#define NGROUPS (sizeof(html_groups) / sizeof(html_groups[0]))

static const char page_css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
	"margin:1em 1.5em;color:#1d2630;background:#fafbfc;font-size:14px}"
	"h1{font-size:1.5em;margin:0 0 .2em}"
	".version{color:#5a6877;margin:0 0 1em}"
	"table{border-collapse:collapse;margin:0 0 1.5em}"
	"th,td{border:1px solid #cfd6de;padding:2px 6px}"
	"td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	"table.info th{text-align:left;background:#eef1f4}"
	"table.info td{text-align:left}"
	"table.proxy caption{text-align:left;font-weight:bold;font-size:1.1em;padding:.3em 0}"
	"table.proxy caption .mode{font-weight:normal;color:#5a6877}"
	"table.proxy caption .desc{font-weight:normal;font-style:italic;margin-left:.6em}"
	"table.proxy caption .legend{font-weight:normal;color:#5a6877;margin-left:.6em}"
	"th.legend{text-decoration:underline dotted;cursor:help}"
	"thead th{background:#33475b;color:#fff;font-weight:normal}"
	"tbody th{text-align:left;font-weight:normal;white-space:nowrap}"
	"tr.frontend,tr.backend{background:#e4e9ef;font-weight:bold}"
	"tr.server.state-up,tr.server.state-no-check{background:#dff3df}"
	"tr.server.state-down{background:#f7d4d4}"
	"tr.server.state-maint{background:#dcd6f0}"
	"tr.server.state-maint--resolution-{background:#e4e4e4}"
	"tr.server.state-drain{background:#d6e6f7}"
	"tr.server.state-nolb{background:#f7ecd0}"
	"tr.backend.state-down td.c-status{color:#b00020}"
	"tr.server.backup th{font-style:italic}"
	"dl.legend{display:grid;grid-template-columns:max-content auto;gap:2px 1em}"
	"dl.legend dt{font-weight:bold}"
	"a{color:#2257a5}";

/* "2d03h", "4h05m", "6m07s", "8s": HAProxy's compact durations. */
static void html_age(struct stats_sb *b, uint64_t s)
{
	if (s >= 86400)
		stats_sb_addf(b, "%llud%02lluh", (unsigned long long)(s / 86400),
			      (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		stats_sb_addf(b, "%lluh%02llum", (unsigned long long)(s / 3600),
			      (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		stats_sb_addf(b, "%llum%02llus", (unsigned long long)(s / 60),
			      (unsigned long long)(s % 60));
	else
		stats_sb_addf(b, "%llus", (unsigned long long)s);
}

/* "state-no-check" from "no check". */
static void html_state_class(struct stats_sb *b, const char *status)
{
	stats_sb_adds(b, "state-");
	for (; *status; status++) {
		char c = *status;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		stats_sb_add(b, &c, 1);
	}
}

static void html_row(struct stats_sb *b, const struct stat_row *r, int legends)
{
	static const char *const kind[] = { [STO_FE] = "frontend", [STO_BE] = "backend", [STO_SRV] = "server" };
	struct stat_val v;

	stats_sb_addf(b, "<tr class=\"%s ", kind[r->obj]);
	html_state_class(b, stats_row_status(r));
	if (r->obj == STO_SRV && r->srv->backup)
		stats_sb_adds(b, " backup");
	stats_sb_adds(b, "\" data-proxy=\"");
	stats_sb_html(b, r->px->id ? r->px->id : "");
	if (r->obj == STO_SRV) {
		stats_sb_adds(b, "\" data-server=\"");
		stats_sb_html(b, r->srv->id ? r->srv->id : "");
	}
	stats_sb_adds(b, "\"><th");
	if (legends && r->obj == STO_SRV) {
		/* show-legends: what HAProxy puts in the server's tooltip */
		stats_get(ST_F_ADDR, r, &v);
		stats_sb_addf(b, " class=\"legend\" title=\"id: %d, addr: ", r->srv->puid);
		stats_sb_html(b, v.type == STV_STR && v.str ? v.str : "-");
		stats_sb_adds(b, "\"");
	}
	stats_sb_adds(b, ">");
	if (r->obj == STO_SRV)
		stats_sb_html(b, r->srv->id ? r->srv->id : "");
	else
		stats_sb_adds(b, r->obj == STO_FE ? "Frontend" : "Backend");
	stats_sb_adds(b, "</th>");

	for (size_t g = 0; g < NGROUPS; g++) {
		for (const int *f = html_groups[g].fields; *f >= 0; f++) {
			stats_get(*f, r, &v);
			stats_sb_addf(b, "<td class=\"c-%s\">", stat_cols[*f].name);
			if (v.type == STV_STR)
				stats_sb_html(b, v.str ? v.str : "");
			else if (v.type == STV_AGE)
				html_age(b, v.u);
			else if (v.type == STV_S64 && v.s < 0)
				stats_sb_adds(b, "-");
			else
				stats_sb_val(b, &v);
			stats_sb_adds(b, "</td>");
		}
	}
	stats_sb_adds(b, "</tr>\n");
}

static void html_table_head(struct stats_sb *b)
{
	stats_sb_adds(b, "<thead><tr class=\"groups\"><th rowspan=\"2\"></th>");
	for (size_t g = 0; g < NGROUPS; g++) {
		int n = 0;
		while (html_groups[g].fields[n] >= 0)
			n++;
		stats_sb_addf(b, "<th colspan=\"%d\">%s</th>", n, html_groups[g].title);
	}
	stats_sb_adds(b, "</tr>\n<tr class=\"titles\">");
	for (size_t g = 0; g < NGROUPS; g++)
		for (const int *f = html_groups[g].fields; *f >= 0; f++) {
			stats_sb_adds(b, "<th title=\"");
			stats_sb_html(b, stat_cols[*f].desc ? stat_cols[*f].desc : "");
			stats_sb_adds(b, "\">");
			stats_sb_html(b, stat_cols[*f].label ? stat_cols[*f].label : stat_cols[*f].name);
			stats_sb_adds(b, "</th>");
		}
	stats_sb_adds(b, "</tr></thead>\n");
}

static void html_proxy(struct stats_sb *b, const struct cfg *cfg, const struct proxy *px, int legends)
{
	struct stat_row r;
	struct list *sp;
	const char *id = px->id ? px->id : "";
	const char *cap = (px->cap & (PR_CAP_FE | PR_CAP_BE)) == (PR_CAP_FE | PR_CAP_BE) ? "listen" :
			  (px->cap & PR_CAP_FE) ? "frontend" : "backend";

	stats_sb_adds(b, "<table class=\"proxy\" id=\"px-");
	stats_sb_html(b, id);
	stats_sb_adds(b, "\" data-proxy=\"");
	stats_sb_html(b, id);
	stats_sb_adds(b, "\">\n<caption>");
	stats_sb_html(b, id);
	stats_sb_addf(b, " <span class=\"mode\">(%s, %s)</span>", cap, px->mode == PR_MODE_HTTP ? "http" : "tcp");
	if (legends)
		stats_sb_addf(b, " <span class=\"legend\">cap: %s, mode: %s, id: %d</span>",
			      cap, px->mode == PR_MODE_HTTP ? "http" : "tcp", px->uuid);
	if (px->desc) {
		stats_sb_adds(b, "<span class=\"desc\">");
		stats_sb_html(b, px->desc);
		stats_sb_adds(b, "</span>");
	}
	stats_sb_adds(b, "</caption>\n");
	html_table_head(b);
	stats_sb_adds(b, "<tbody>\n");
	if (px->cap & PR_CAP_FE) {
		stats_row_init(&r, cfg, STO_FE, px, NULL);
		html_row(b, &r, legends);
	}
	if (px->cap & PR_CAP_BE) {
		list_for_each(sp, &px->servers) {
			stats_row_init(&r, cfg, STO_SRV, px, list_entry(sp, struct server, link));
			html_row(b, &r, legends);
		}
		stats_row_init(&r, cfg, STO_BE, px, NULL);
		html_row(b, &r, legends);
	}
	stats_sb_adds(b, "</tbody></table>\n");
}

/* Node name and description the stats proxy <px> shows, NULL when it does
 * not (no show-node / show-desc, or nothing to show). */
const char *stats_shown_node(const struct cfg *cfg, const struct proxy *px)
{
	if (!px || !px->stats_show_node)
		return NULL;
	return px->stats_node ? px->stats_node : cfg->g.node;
}

const char *stats_shown_desc(const struct cfg *cfg, const struct proxy *px)
{
	if (!px || !px->stats_show_desc)
		return NULL;
	return px->stats_desc ? px->stats_desc : cfg->g.desc;
}

static void html_info(struct stats_sb *b, const struct cfg *cfg, const struct proxy *px)
{
	const char *node = stats_shown_node(cfg, px), *desc = stats_shown_desc(cfg, px);
	time_t now = time(NULL);
	struct tm tm;
	char when[64];

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	stats_sb_adds(b, "<table class=\"info\" id=\"info\">\n");
	stats_sb_addf(b, "<tr><th>pid</th><td id=\"info-pid\">%d</td></tr>\n", (int)getpid());
	stats_sb_adds(b, "<tr><th>uptime</th><td id=\"info-uptime\">");
	if (tandem_start_wall_s && (uint64_t)now >= tandem_start_wall_s)
		html_age(b, (uint64_t)now - tandem_start_wall_s);
	else
		stats_sb_adds(b, "-");
	stats_sb_adds(b, "</td></tr>\n");
	stats_sb_addf(b, "<tr><th>threads</th><td id=\"info-nbthread\">%d</td></tr>\n", cfg->g.nbthread);
	stats_sb_addf(b, "<tr><th>maxconn</th><td id=\"info-maxconn\">%d</td></tr>\n", cfg->g.maxconn);
	if (node) {
		stats_sb_adds(b, "<tr><th>node</th><td id=\"info-node\">");
		stats_sb_html(b, node);
		stats_sb_adds(b, "</td></tr>\n");
	}
	if (desc) {
		stats_sb_adds(b, "<tr><th>description</th><td id=\"info-desc\">");
		stats_sb_html(b, desc);
		stats_sb_adds(b, "</td></tr>\n");
	}
	stats_sb_addf(b, "<tr><th>current time</th><td id=\"info-time\">%s</td></tr>\n", when);
	stats_sb_adds(b, "</table>\n");
}

static void html_legend(struct stats_sb *b)
{
	stats_sb_adds(b,
		"<dl class=\"legend\" id=\"legend\">\n"
		"<dt>UP</dt><dd>server is healthy by its checks</dd>\n"
		"<dt>no check</dt><dd>server has no health check and is considered up</dd>\n"
		"<dt>DOWN</dt><dd>server failed its checks and gets no traffic</dd>\n"
		"<dt>NOLB</dt><dd>server is going down: no new traffic</dd>\n"
		"<dt>DRAIN</dt><dd>set by an administrator: no new sessions, current ones finish</dd>\n"
		"<dt>MAINT</dt><dd>set by an administrator: no traffic at all</dd>\n"
		"<dt>MAINT (resolution)</dt><dd>DNS gives the server no address (or its record is gone): no new traffic</dd>\n"
		"</dl>\n");
}

/* The report itself: title, version, process info, export links, state
 * legend and one table per proxy in scope. */
void stats_html_body(struct stats_sb *b, const struct cfg *cfg, const struct proxy *px)
{
	struct list *pp;
	const char *node = stats_shown_node(cfg, px), *desc = stats_shown_desc(cfg, px);

	stats_sb_adds(b, "<h1>Statistics Report for tandem");
	if (node) {
		stats_sb_adds(b, " on <span id=\"node\">");
		stats_sb_html(b, node);
		stats_sb_adds(b, "</span>");
	}
	if (desc) {
		stats_sb_adds(b, ": <span id=\"desc\">");
		stats_sb_html(b, desc);
		stats_sb_adds(b, "</span>");
	}
	stats_sb_adds(b, "</h1>\n");
	if (!(px && px->stats_hide_version))
		stats_sb_adds(b, "<p class=\"version\" id=\"version\">tandem version " TANDEM_VERSION "</p>\n");
	html_info(b, cfg, px);
	if (px && px->stats_uri) {
		stats_sb_adds(b, "<p class=\"export\"><a href=\"");
		stats_sb_html(b, px->stats_uri);
		stats_sb_adds(b, ";csv\">CSV export</a> <a href=\"");
		stats_sb_html(b, px->stats_uri);
		stats_sb_adds(b, ";json\">JSON export</a></p>\n");
	}
	html_legend(b);        /* the state legend is always there, as in HAProxy */

	list_for_each(pp, &cfg->proxies) {
		const struct proxy *p = list_entry(pp, struct proxy, link);
		if (!(p->cap & PR_CAP_DEF) && stats_in_scope(px, p))
			html_proxy(b, cfg, p, px && px->stats_show_legends);
	}
}

/* The CSS of the static report, also used by the dashboard's fallback. */
const char *stats_html_css(void)
{
	return page_css;
}

char *stats_render_html(const struct cfg *cfg, const struct proxy *px, size_t *len)
{
	return stats_render_html_opt(cfg, px, px && px->stats_refresh, len);
}

char *stats_render_html_opt(const struct cfg *cfg, const struct proxy *px, int refresh, size_t *len)
{
	struct stats_sb b = { 0 };

	stats_sb_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	if (refresh && px && px->stats_refresh)
		stats_sb_addf(&b, "<meta http-equiv=\"refresh\" content=\"%u\">\n",
			      (unsigned)((px->stats_refresh + 999) / 1000));
	stats_sb_adds(&b, "<title>Statistics Report for tandem</title>\n<style>");
	stats_sb_adds(&b, page_css);
	stats_sb_adds(&b, "</style>\n</head><body>\n");
	stats_html_body(&b, cfg, px);
	stats_sb_adds(&b, "</body></html>\n");
	return stats_sb_finish(&b, len);
}
