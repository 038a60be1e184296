/* The registry of playbooks and labs: the seeds playbook (generated labs)
 * and one entry per lab of the seeds that has a contrib/labs/NNN/
 * directory. A new lab is one line here, a pb_NNN.c with its struct
 * lab_def and scenario table, and the directory: the machinery
 * (lab.c, playbook.c, demo.c, tools/demo.sh) stays as it is. */
#include <stdio.h>
#include <string.h>
#include "playbook.h"

extern const struct playbook pb_seeds, pb_000, pb_001, pb_002, pb_003, pb_004;

static const struct playbook *const all[] = { &pb_seeds, &pb_000, &pb_001, &pb_002, &pb_003, &pb_004 };
#define NPB (sizeof(all) / sizeof(all[0]))

const struct playbook *playbook_find(const char *name)
{
	size_t i;

	for (i = 0; i < NPB; i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

const struct lab_def *labdef_find(const char *id)
{
	const struct playbook *pb = playbook_find(id);

	return pb ? pb->lab : NULL;
}

const char *playbook_names(void)
{
	static char buf[128];
	size_t i, o = 0;

	for (i = 0; i < NPB && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? ", " : "", all[i]->name);
	return buf;
}

const char *labdef_ids(void)
{
	static char buf[128];
	size_t i, o = 0;

	for (i = 0; i < NPB && o < sizeof(buf); i++)
		if (all[i]->lab)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? ", " : "", all[i]->lab->id);
	return buf;
}
