/* The admin module's entry point: what it plugs into the layers below it.
 * The proxy knows services and thread-0 modules only through their
 * registries; main() calls admin_register() once, before any worker. */
#include <tandem/admin.h>
#include <tandem/cli.h>
#include <tandem/stats_hist.h>
#include <tandem/stats_svc.h>
#include <tandem/worker.h>

static struct worker_module cli_module = {
	.name = "admin socket", .start = cli_start, .stop = cli_stop,
};
/* the per-second history of the stats (hist.c) */
static struct worker_module hist_module = {
	.name = "stats history", .start = stats_hist_start, .stop = stats_hist_stop,
};

void admin_register(void)
{
	stats_services_register();
	worker_module_register(&cli_module);
	worker_module_register(&hist_module);
}
