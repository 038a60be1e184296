/* Retry keywords: `retry-on` (HAProxy's conditions) and `retry-budget`
 * (tandem's bound on retries in flight, so retries cannot turn an outage
 * into a storm). `retries` and `option redispatch` live in kw_proxy.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/proxy-t.h>
#include "cfg_int.h"

#define PX (ctx->px)

static const struct {
	const char *name;
	uint32_t    bits;
} retry_conds[] = {
	{ "conn-failure",    RETRY_CONN_FAILURE },
	{ "empty-response",  RETRY_EMPTY_RESP },
	{ "junk-response",   RETRY_JUNK_RESP },
	{ "response-timeout", RETRY_RESP_TIMEOUT },
	{ "0rtt-rejected",   RETRY_0RTT_REJECTED },
};

/* The statuses HAProxy accepts in retry-on. */
static const int retry_codes[] = { 401, 403, 404, 408, 425, 500, 501, 502, 503, 504 };

static int add_status(struct proxy *px, int code)
{
	int i;

	for (i = 0; i < px->n_retry_status; i++)
		if (px->retry_status[i] == code)
			return 0;
	if (px->n_retry_status >= (int)(sizeof(px->retry_status) / sizeof(px->retry_status[0])))
		return -1;
	px->retry_status[px->n_retry_status++] = (uint16_t)code;
	px->retry_on |= RETRY_STATUS;
	return 0;
}

static int kw_retry_on(struct cfg_ctx *ctx, char **args, int nargs)
{
	int i;

	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (nargs < 2)
		return cfg_err(ctx, "'retry-on' expects at least one of 'none', 'conn-failure', 'empty-response', "
			       "'junk-response', 'response-timeout', '0rtt-rejected', 'all-retryable-errors' or a status code.");
	PX->retry_on = 0;
	PX->n_retry_status = 0;
	for (i = 1; i < nargs; i++) {
		const char *a = args[i];
		size_t k;
		int found = 0;

		if (!strcmp(a, "none")) {
			if (nargs != 2)
				return cfg_err(ctx, "'retry-on': 'none' must be alone.");
			continue;
		}
		if (!strcmp(a, "all-retryable-errors")) {
			PX->retry_on |= RETRY_CONN_FAILURE | RETRY_EMPTY_RESP | RETRY_JUNK_RESP |
				RETRY_RESP_TIMEOUT | RETRY_0RTT_REJECTED;
			add_status(PX, 500);
			add_status(PX, 502);
			add_status(PX, 503);
			add_status(PX, 504);
			continue;
		}
		for (k = 0; k < sizeof(retry_conds) / sizeof(retry_conds[0]); k++)
			if (!strcmp(a, retry_conds[k].name)) {
				PX->retry_on |= retry_conds[k].bits;
				found = 1;
			}
		for (k = 0; !found && k < sizeof(retry_codes) / sizeof(retry_codes[0]); k++) {
			char num[8];
			snprintf(num, sizeof(num), "%d", retry_codes[k]);
			if (!strcmp(a, num)) {
				add_status(PX, retry_codes[k]);
				found = 1;
			}
		}
		if (!found)
			return cfg_err(ctx, "'retry-on': unknown keyword '%s' (expects 'none', 'conn-failure', "
				       "'empty-response', 'junk-response', 'response-timeout', '0rtt-rejected', "
				       "'all-retryable-errors', or one of 401, 403, 404, 408, 425, 500, 501, 502, 503, 504).", a);
	}
	return 0;
}

static int kw_retry_budget(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;

	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (nargs < 2)
		return cfg_err(ctx, "'retry-budget' expects a percentage between 0 and 100.");
	if (cfg_arg_int(ctx, args[0], args[1], 0, 100, &v) < 0)
		return -1;
	PX->retry_budget = (int)v;
	return cfg_max_args(ctx, args, nargs, 1);
}

const struct cfg_kw cfg_retry_kws[] = {
	{ "retry-on",     KW_DEF | KW_BE | KW_LI, kw_retry_on },
	{ "retry-budget", KW_DEF | KW_BE | KW_LI, kw_retry_budget },
	{ NULL, 0, NULL },
};
