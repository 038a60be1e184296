/* Log lines of the long tail: `option log-health-checks` (HAProxy's
 * "Health check for server be/s succeeded|failed, reason: ..., status:
 * 3/3 UP." for every result that moves the health counter or changes the
 * status) and the NOLB transitions of `http-check disable-on-404`
 * ("Server be/s is stopping, ..."). */
#include <stdio.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/log.h>
#include <tandem/srv_state.h>
#include "check_int.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* HAProxy's chunk_asciiencode for the info text. */
static void ascii(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 5 < len; src++) {
		unsigned char c = (unsigned char)*src;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, len - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = 0;
}

void chk_reason_text(const struct hs_out *o, char *out, size_t len)
{
	char info[HS_DESC_LEN * 4 + 8];
	int n = snprintf(out, len, ", reason: %s", hchk_status_desc(o->status));

	if (o->status >= HCHK_L7OK && n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, ", code: %d", o->code);
	if (o->desc && *o->desc && n > 0 && (size_t)n < len) {
		ascii(info, sizeof(info), o->desc);
		n += snprintf(out + n, len - (size_t)n, ", info: \"%s\"", info);
	}
	if (o->duration >= 0 && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, ", check duration: %dms", o->duration);
}

void chk_log_result(struct srv_health *h, const struct hs_out *o, const char *kind)
{
	const struct server *s = h->srv;
	char reason[HS_DESC_LEN * 4 + 128];
	int health, rise, fall, passed = o->status == HCHK_L4OK || o->status == HCHK_L6OK ||
					 o->status == HCHK_L7OK || o->status == HCHK_L7OKC;

	pthread_mutex_lock(&h->lock);
	health = h->hs.health;
	rise = h->conf.rise;
	fall = h->conf.fall;
	pthread_mutex_unlock(&h->lock);
	chk_reason_text(o, reason, sizeof(reason));
	log_event(LL_WARNING, "%s check for %sserver %s/%s %s%s%s, status: %d/%d %s.", kind,
		  s->backup ? "backup " : "", s->be->id, s->id, o->status == HCHK_L7OKC ? "conditionally " : "",
		  passed ? "succeeded" : "failed", reason,
		  health >= rise ? health - rise + 1 : health, health >= rise ? fall : rise,
		  health >= rise ? (LD(s->uweight) ? "UP" : "DRAIN") : "DOWN");
}

void chk_log_nolb(struct srv_health *h, const struct hs_out *o)
{
	const struct server *s = h->srv;
	const struct list *l;
	char reason[HS_DESC_LEN * 4 + 128];
	int act = 0, bck = 0;

	list_for_each(l, &s->be->servers) {
		const struct server *x = list_entry(l, struct server, link);

		if (srv_usable(x))
			(x->backup ? bck++ : act++);
	}
	chk_reason_text(o, reason, sizeof(reason));
	if (o->went_nolb)
		log_event(LL_WARNING, "%sServer %s/%s is stopping%s. %d active and %d backup servers left.%s"
			  " %d sessions active, 0 requeued, 0 remaining in queue.", s->backup ? "Backup " : "",
			  s->be->id, s->id, reason, act, bck, (bck && !act) ? " Running on backup." : "",
			  LD(s->cur_conns));
	else
		log_event(LL_WARNING, "%sServer %s/%s is UP%s. %d active and %d backup servers online.%s"
			  " 0 sessions requeued, 0 total in queue.", s->backup ? "Backup " : "", s->be->id, s->id,
			  reason, act, bck, (bck && !act) ? " Running on backup." : "");
}
