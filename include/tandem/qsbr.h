/* Deferred reclamation for data read without locks (pattern indexes and
 * maps changed on the runtime API while every worker thread reads them).
 *
 * Readers bracket their use with qsbr_read_lock()/qsbr_read_unlock()
 * (nesting allowed; two stores and one fence per outermost pair). The one
 * writer unlinks an object with a release store, hands it to
 * qsbr_retire(), and calls qsbr_reclaim() now and then: an object is freed
 * once every thread that was reading when it was retired has left its read
 * section since. Nothing waits or spins: what cannot be freed yet stays on
 * the list until a later qsbr_reclaim(). */
#ifndef TANDEM_QSBR_H
#define TANDEM_QSBR_H

#define QSBR_MAX_THREADS 256

/* The outermost section's work (qsbr.c); the nesting is counted inline:
 * a rule set runs inside the stream's section, whose conditions and
 * formats take it again, and that must cost next to nothing. */
extern __thread int qsbr_depth;
void qsbr_read_enter(void);
void qsbr_read_exit(void);

static inline void qsbr_read_lock(void)
{
	if (!qsbr_depth++)
		qsbr_read_enter();
}

static inline void qsbr_read_unlock(void)
{
	if (!--qsbr_depth)
		qsbr_read_exit();
}
/* Free <p> with <fn>(p) once no reader can hold it (writer side). */
void qsbr_retire(void *p, void (*fn)(void *));
/* Free what can be freed. Returns how many objects are still waiting. */
int qsbr_reclaim(void);
/* The calling thread will not read any more: give its slot back. */
void qsbr_thread_exit(void);

#endif
