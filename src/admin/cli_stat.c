/* `show stat` on the runtime API: HAProxy's CSV (the same columns, order
 * and values as the stats page's ";csv", read through the stats column
 * table), its typed form ("S.3.1.17.status.1:SGP:str:UP") and its JSON
 * form (an array per object of typed field objects), with HAProxy's
 * selectors: [{<iid>|<proxy>} <type> <sid>] and the up / no-maint
 * filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include "cli_int.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* HAProxy's origin/nature/scope tags and type of each column, as its
 * "show stat typed" reports them (act/bck are gauges on backends). */
static const char *const col_tags[ST_F_TOTAL] = {
	"KNS:str", "KNS:str", "MGP:u32", "MMP:u32", "MGP:u32", "MMP:u32", "CLP:u32", "MCP:u64",
	"MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
	"MCP:u64", "SGP:str", "MaP:u32", "SGP:u32", "SGP:u32", "MCP:u64", "MCP:u64", "MAP:u32",
	"MCP:u32", "CLP:u32", "KGP:u32", "KGS:u32", "KGS:u32", "MaP:u32", "MCP:u64", "CNS:str",
	"CGS:u32", "MRP:u32", "CLP:u32", "MMP:u32", "MOP:str", "MOP:u32", "MDP:u64", "MCP:u64",
	"MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MRP:u32", "MMP:u32",
	"MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MAP:s32",
	"MOP:str", "MOP:str", "MaP:u32", "MaP:u32", "MaP:u32", "MaP:u32", "MOP:str", "MOP:u32",
	"MDP:u64", "MOP:str", "MOP:str", "CGS:u32", "CGS:u32", "CGS:u32", "CGS:u32", "CGS:u32",
	"CGS:u32", "CGS:str", "CNS:str", "CGS:str", "CGS:str", "MRP:u32", "MMP:u32", "MCP:u64",
	"MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
	"MGP:u32", "CLP:u32", "MMP:u32", "MMP:u32", "MMP:u32", "MMP:u32", "MCP:u64", "MGP:u32",
	"MGP:u32", "MGP:u32", "MGP:u32", "MaP:u32", "SGP:str",
};

enum { FMT_CSV, FMT_TYPED, FMT_JSON };

struct stat_req {
	int fmt;
	int iid;          /* -1 = every proxy */
	int type;         /* 1 frontends, 2 backends, 4 servers (ORed) */
	int sid;          /* -1 = every server */
	int up, no_maint;
	int nrows;        /* JSON: rows written so far */
};

static void tags_of(int f, int obj, char tags[4], char type[4])
{
	memcpy(tags, col_tags[f], 3);
	tags[3] = 0;
	memcpy(type, col_tags[f] + 4, 3);
	type[3] = 0;
	if ((f == ST_F_ACT || f == ST_F_BCK) && obj == STO_BE)
		tags[0] = 'M';
}

static void row_out(struct cli_sess *s, struct stat_req *q, const struct stat_row *r)
{
	struct stats_sb *b = s->out;
	struct stat_val v;
	char tags[4], type[4], letter = r->obj == STO_FE ? 'F' : r->obj == STO_BE ? 'B' : r->obj == STO_LI ? 'L' : 'S';
	int sid = r->obj == STO_SRV ? r->srv->puid : r->obj == STO_LI ? r->li->luid : 0, first = 1;

	if (q->fmt == FMT_JSON)
		stats_sb_adds(b, q->nrows++ ? ",[" : "[");
	for (int f = 0; f < ST_F_TOTAL; f++) {
		stats_get(f, r, &v);
		if (q->fmt == FMT_CSV) {
			stats_sb_csv(b, &v);
			stats_sb_add(b, ",", 1);
			continue;
		}
		if (v.type == STV_NONE)
			continue;   /* the typed forms leave out empty fields, as HAProxy */
		tags_of(f, r->obj, tags, type);
		if (v.type == STV_S64)
			memcpy(type, "s32", 4);
		if (q->fmt == FMT_TYPED) {
			cli_out(s, "%c.%d.%d.%d.%s.1:%s:%s:", letter, r->px->uuid, sid, f, stat_cols[f].name, tags, type);
			stats_sb_val(b, &v);
			stats_sb_add(b, "\n", 1);
			continue;
		}
		cli_out(s, "%s{\"objType\":\"%s\",\"proxyId\":%d,\"id\":%d,\"field\":{\"pos\":%d,\"name\":\"%s\"},"
			"\"processNum\":1,\"tags\":{\"origin\":\"%s\",\"nature\":\"%s\",\"scope\":\"%s\"},"
			"\"value\":{\"type\":\"%s\",\"value\":", first ? "" : ",",
			r->obj == STO_FE ? "Frontend" : r->obj == STO_BE ? "Backend" : r->obj == STO_LI ? "Listener" : "Server",
			r->px->uuid, sid, f, stat_cols[f].name, cli_tag_word(tags, 0), cli_tag_word(tags, 1),
			cli_tag_word(tags, 2), type);
		if (v.type == STV_STR)
			cli_json_str(b, v.str ? v.str : "");
		else
			stats_sb_val(b, &v);
		stats_sb_adds(b, "}}");
		first = 0;
	}
	stats_sb_adds(b, q->fmt == FMT_JSON ? "]" : q->fmt == FMT_CSV ? "\n" : "");
}

/* "up": servers reportedly up or not checked; "no-maint": not in maintenance. */
static int server_listed(const struct stat_req *q, const struct server *sv)
{
	int adm = LD(sv->admin);

	if (q->sid >= 0 && sv->puid != q->sid)
		return 0;
	if ((q->up || q->no_maint) && (adm & SRV_ADMF_MAINT))
		return 0;
	if (q->up && LD(sv->state) == SRV_ST_STOPPED)
		return 0;
	return 1;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_cmd_show_stat(struct cli_sess *s, char **args, int nargs)
{
	struct stat_req q = { FMT_CSV, -1, 15, -1, 0, 0, 0 };
	struct stat_row r;
	struct list *pl, *sl;
	int i = 2;

	if (i + 1 < nargs && !strcmp(args[i], "domain")) {
		if (strcmp(args[i + 1], "proxy"))
			return cli_msg(s, "Only the 'proxy' domain is available.");
		i += 2;
	}
	/* {<iid>|<proxy>} <type> <sid>, when three words follow that are not flags */
	if (i + 2 < nargs && strcmp(args[i], "typed") && strcmp(args[i], "json") &&
	    strcmp(args[i], "up") && strcmp(args[i], "no-maint") && strcmp(args[i], "desc")) {
		if (parse_int(args[i], &q.iid) < 0) {
			const struct proxy *px = cfg_find_proxy(s->cfg, args[i], PR_CAP_FE | PR_CAP_BE);

			if (!px)
				return cli_msg(s, "No such proxy.");
			q.iid = px->uuid;
		}
		if (parse_int(args[i + 1], &q.type) < 0 || parse_int(args[i + 2], &q.sid) < 0)
			return cli_msg(s, "Expects <iid> <type> <sid> as integers (or a proxy name first).");
		if (q.type == -1)
			q.type = 15;
		i += 3;
	}
	for (; i < nargs; i++) {
		if (!strcmp(args[i], "typed"))
			q.fmt = FMT_TYPED;
		else if (!strcmp(args[i], "json"))
			q.fmt = FMT_JSON;
		else if (!strcmp(args[i], "up"))
			q.up = 1;
		else if (!strcmp(args[i], "no-maint"))
			q.no_maint = 1;
	}
	if (q.fmt == FMT_CSV) {
		stats_sb_adds(s->out, "# ");
		for (int f = 0; f < ST_F_TOTAL; f++)
			cli_out(s, "%s,", stat_cols[f].name);
		stats_sb_add(s->out, "\n", 1);
	} else if (q.fmt == FMT_JSON) {
		stats_sb_add(s->out, "[", 1);
	}
	list_for_each(pl, &s->cfg->proxies) {
		const struct proxy *px = list_entry(pl, struct proxy, link);

		if ((px->cap & PR_CAP_DEF) || (q.iid != -1 && px->uuid != q.iid))
			continue;
		if ((px->cap & PR_CAP_FE) && (q.type & 1)) {
			stats_row_init(&r, s->cfg, STO_FE, px, NULL);
			row_out(s, &q, &r);
		}
		if ((px->cap & PR_CAP_FE) && (q.type & 8) && (px->options & PR_O_SOCKET_STATS)) {
			struct list *bl;

			list_for_each(bl, &px->binds) {   /* option socket-stats: listeners (HAProxy's type 8) */
				stats_row_init(&r, s->cfg, STO_LI, px, NULL);
				r.li = list_entry(bl, struct bind_conf, link);
				row_out(s, &q, &r);
			}
		}
		if (!(px->cap & PR_CAP_BE))
			continue;
		if (q.type & 4)
			list_for_each(sl, &px->servers) {
				const struct server *sv = list_entry(sl, struct server, link);

				if (!server_listed(&q, sv))
					continue;
				stats_row_init(&r, s->cfg, STO_SRV, px, sv);
				row_out(s, &q, &r);
			}
		if (q.type & 2) {
			stats_row_init(&r, s->cfg, STO_BE, px, NULL);
			row_out(s, &q, &r);
		}
	}
	if (q.fmt == FMT_JSON)
		stats_sb_adds(s->out, "]\n");
	return 0;
}
