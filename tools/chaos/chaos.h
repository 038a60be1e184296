/* What every part of tandem-chaos shares: the interrupt flag. */
#ifndef CHAOS_CHAOS_H
#define CHAOS_CHAOS_H
#include <signal.h>

/* Set by SIGINT/SIGTERM: runs end early, labs are stopped, chaos exits. */
extern volatile sig_atomic_t chaos_interrupted;

#endif
