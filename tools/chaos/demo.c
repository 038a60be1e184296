/* `tandem-chaos --demo NNN` (what `make demo LAB=NNN` runs): start a lab of
 * the seeds on this machine with the lab's own ports where they are free,
 * print its playbook (contrib/labs/NNN/playbook.txt, ports filled in), then
 * hold it until Ctrl-C: tandem's event log is followed on the terminal, and
 * lines typed on the terminal are fault actions applied at once ("kill A",
 * "restart A", "kill redis-A", "drain gateway-1", "add gateway-4"...), so that
 * every process stays this program's child and is stopped by PID at the end,
 * whatever the user did. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include "chaos.h"
#include "cli.h"
#include "labdef.h"
#include "playbook.h"

#define DEMO_PLANS 16
#define DEMO_START_TRIES 3

struct demo {
	struct lab      lab;
	struct loop    *l;
	struct ev_io    in;         /* the terminal */
	struct ev_timer tick;
	char            line[512];
	size_t          llen;
	int             logfd;
	char            logbuf[8192];
	size_t          loglen;     /* an unfinished log line */
	struct plan     plans[DEMO_PLANS];
	uint64_t        reported[DEMO_PLANS];   /* bit k: fault k was reported */
	int             next;
	int             stop;
};

static struct demo D;

/* Print the playbook with the lab's variables filled in. */
static int print_playbook(const struct cli *c, struct lab *lab)
{
	char path[PATH_MAX], line[1024], out[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/playbook.txt", c->lab.labs_dir, lab->def->id);
	if (!(f = fopen(path, "r"))) {
		fprintf(stderr, "tandem-chaos: cannot read %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (lab_expand(lab, line, out, sizeof(out)) < 0)
			printf("%s    [%s]\n", line, out);
		else
			printf("%s\n", out);
	}
	fclose(f);
	fflush(stdout);
	return 0;
}

/* tandem's event lines ("[WARNING] ..."), not its access log, which a
 * load would turn into a flood. */
static void follow_log(struct demo *d)
{
	ssize_t n;

	while ((n = read(d->logfd, d->logbuf + d->loglen, sizeof(d->logbuf) - 1 - d->loglen)) > 0) {
		char *p = d->logbuf, *nl;

		d->loglen += (size_t)n;
		d->logbuf[d->loglen] = 0;
		while ((nl = strchr(p, '\n'))) {
			*nl = 0;
			if (p[0] == '[')
				printf("tandem: %s\n", p);
			p = nl + 1;
		}
		d->loglen -= (size_t)(p - d->logbuf);
		memmove(d->logbuf, p, d->loglen);
		if (d->loglen == sizeof(d->logbuf) - 1)
			d->loglen = 0;   /* a line longer than the buffer: drop it */
	}
	fflush(stdout);
}

static void report_plans(struct demo *d)
{
	char label[80];
	int i, k;

	for (i = 0; i < DEMO_PLANS; i++)
		for (k = 0; k < d->plans[i].n; k++) {
			struct fault *f = &d->plans[i].f[k];

			if ((d->reported[i] >> k & 1) || (f->state != FS_DONE && f->state != FS_FAILED))
				continue;
			d->reported[i] |= 1ull << k;
			fault_label(&d->plans[i], f, label, sizeof(label));
			if (f->state == FS_DONE)
				printf("chaos: %s: done\n", label);
			else
				printf("chaos: %s: failed: %s\n", label, f->msg);
		}
	fflush(stdout);
}

static void tick_cb(struct ev_timer *t)
{
	struct demo *d = t->ctx;

	follow_log(d);
	report_plans(d);
	if (lab_reap(&d->lab)) {
		printf("chaos: tandem exited (status %d); stopping the lab\n", d->lab.tandem_exit);
		d->stop = 1;
	}
	if (chaos_interrupted || d->stop) {
		d->l->stop = 1;
		return;
	}
	loop_timer_set(d->l, t, now_ms + 200);
}

static void help(void)
{
	printf("chaos: type an action and a name, applied at once: kill stop cont term restart (nodes, "
	       "Redis, DNS), zombie error500 off, slow MS, stress release (a node's memory, seed 004), drain "
	       "ready maint, add (a node kept out of the configuration), move (a node back on a new address, "
	       "told to DNS); e.g. 'kill A', 'slow 300 B', 'restart redis-A', 'move nginx1'. 'quit' or Ctrl-C stops "
	       "everything.\n");
	fflush(stdout);
}

/* One typed line: "ACTION [MS] NAME" becomes the fault "0:ACTION[:MS]:NAME". */
static void command(struct demo *d, char *line)
{
	struct plan *p = &d->plans[d->next];
	char spec[600], err[300];

	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line)
		return;
	if (!strcmp(line, "quit") || !strcmp(line, "exit")) {
		d->stop = 1;
		return;
	}
	if (!strcmp(line, "help") || !strcmp(line, "?")) {
		help();
		return;
	}
	plan_stop(p);    /* the slot's previous command is long over */
	memset(p, 0, sizeof(*p));
	d->reported[d->next] = 0;
	snprintf(spec, sizeof(spec), "0 %s", line);
	if (plan_parse(p, &d->lab, spec, err, sizeof(err)) < 0) {
		printf("chaos: %s (type help)\n", err);
		fflush(stdout);
		p->n = 0;
		return;
	}
	p->backend = d->lab.backend;
	plan_start(p, &d->lab, clock_mono_us());
	d->next = (d->next + 1) % DEMO_PLANS;
}

static void in_cb(struct ev_io *io, uint32_t events)
{
	struct demo *d = io->ctx;
	ssize_t n;
	char *nl;

	(void)events;
	n = read(io->fd, d->line + d->llen, sizeof(d->line) - 1 - d->llen);
	if (n <= 0) {
		/* end of input (not a terminal): keep holding the lab until Ctrl-C */
		loop_io_del(d->l, io);
		return;
	}
	d->llen += (size_t)n;
	d->line[d->llen] = 0;
	while ((nl = strchr(d->line, '\n'))) {
		*nl = 0;
		command(d, d->line);
		d->llen -= (size_t)(nl + 1 - d->line);
		memmove(d->line, nl + 1, d->llen + 1);
	}
	if (d->llen == sizeof(d->line) - 1)
		d->llen = 0;
}

int demo_run(const struct cli *c, struct loop *l)
{
	struct demo *d = &D;
	const struct lab_def *def = labdef_find(c->demo);
	struct lab_opts o = c->lab;
	char log[PATH_MAX];
	int i;

	memset(d, 0, sizeof(*d));
	d->l = l;
	o.nominal_ports = 1;
	printf("starting lab %s (%s)...\n", def->id, def->title);
	fflush(stdout);
	/* Ports are chosen free, then bound by the processes a moment later:
	 * another program (another demo) may take one in between. Then the
	 * whole lab is stopped and started again on ports chosen anew. */
	for (i = 0; lab_start_def(&d->lab, def, &o, l) < 0; i++) {
		if (i < DEMO_START_TRIES - 1 && !chaos_interrupted && strstr(d->lab.err, "Address already in use")) {
			printf("chaos: a port was taken while the lab started; choosing its ports again\n");
			fflush(stdout);
			lab_remove_dir(&d->lab);
			continue;
		}
		fprintf(stderr, "tandem-chaos: lab %s did not start: %s\n", def->id, d->lab.err);
		return 1;
	}
	lab_set_var(&d->lab, "LAB", "%s", def->id);
	lab_set_var(&d->lab, "CFG", "%s", d->lab.cfg);
	if (print_playbook(c, &d->lab) < 0) {
		lab_stop(&d->lab, 0);
		return 1;
	}
	printf("\nprocesses:");
	for (i = 0; i < d->lab.ndep; i++)
		printf(" %s pid %d (:%d);", d->lab.dep[i].name, (int)d->lab.dep[i].pid, d->lab.dep[i].port);
	for (i = 0; i < d->lab.n; i++)
		if (!d->lab.node[i].dynamic)
			printf(" %s pid %d (%s:%d);", d->lab.node[i].name, (int)d->lab.node[i].pid,
			       d->lab.node[i].addr, d->lab.node[i].port);
	printf(" tandem pid %d\nlogs and admin socket in %s (removed at the end)\n\n",
	       (int)d->lab.tandem_pid, d->lab.dir);
	help();
	snprintf(log, sizeof(log), "%.255s/tandem.log", d->lab.dir);
	d->logfd = open(log, O_RDONLY | O_CLOEXEC);
	/* stdin stays blocking (it is the user's terminal, shared with the
	 * shell): one read per readiness event never blocks */
	ev_io_init(&d->in, 0, in_cb, d);
	loop_io_set(l, &d->in, EPOLLIN);   /* fails for /dev/null or a file: no commands then */
	ev_timer_init(&d->tick, tick_cb, d);
	loop_timer_set(l, &d->tick, now_ms);
	l->stop = 0;
	while (!l->stop)
		loop_run(l);
	l->stop = 0;
	loop_io_del(l, &d->in);
	loop_timer_del(l, &d->tick);
	for (i = 0; i < DEMO_PLANS; i++)
		plan_stop(&d->plans[i]);
	if (d->logfd >= 0)
		close(d->logfd);
	printf("stopping lab %s\n", def->id);
	if (lab_stop(&d->lab, 0))
		fprintf(stderr, "tandem-chaos: sanitizer report in the lab's logs: %s\n", d->lab.san);
	return 0;
}
