/* `cpu-map`: each worker thread on the CPUs its lines give it. Lines are
 * applied in order (a later one replaces an earlier one for the threads
 * both name); lines for the whole process apply to every thread, and a
 * thread's own line is kept within them when they meet (HAProxy: "the
 * intersection of its mapping and the one of the process"). With `auto:`
 * the threads of the line take its CPUs one each, in ascending order. */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <tandem/log.h>
#include <tandem/worker.h>

void worker_cpu_map(int tid)
{
	const struct global *g = &worker.cfg->g;
	cpu_set_t proc, thr, set;
	int has_proc = 0, has_thr = 0, t = tid + 1, rc;

	CPU_ZERO(&proc);
	CPU_ZERO(&thr);
	for (int i = 0; i < g->n_cpu_map; i++) {
		const struct cpu_map_rule *r = &g->cpu_map[i];
		int whole = r->lo == 1 && r->hi >= 256 && !r->autom;
		cpu_set_t *dst = whole ? &proc : &thr;

		if (t < r->lo || t > r->hi)
			continue;
		CPU_ZERO(dst);
		if (r->autom) {
			int k = t - r->lo;

			if (k < r->ncpu)
				CPU_SET(r->cpu[k], dst);
		} else {
			for (int c = 0; c < r->ncpu; c++)
				CPU_SET(r->cpu[c], dst);
		}
		*(whole ? &has_proc : &has_thr) = CPU_COUNT(dst) > 0;
	}
	if (!has_proc && !has_thr)
		return;
	if (has_proc && has_thr) {
		CPU_AND(&set, &proc, &thr);
		if (!CPU_COUNT(&set))
			set = thr;
	} else {
		set = has_thr ? thr : proc;
	}
	if ((rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) != 0)
		log_event(LL_WARNING, "cpu-map: cannot bind thread %d to its CPUs: %s.", t, strerror(rc));
}
