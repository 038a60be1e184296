/* Smooth weighted round-robin (the algorithm nginx uses): every pick adds
 * each candidate's weight to its current weight, chooses the largest, and
 * subtracts the total from the winner. Weights 3:1 give A A B A, i.e. the
 * exact ratio, spread evenly. State is per thread (srv_thr.lb_cw), so picks
 * take no lock; each thread on its own keeps the exact ratio. */
#include <tandem/lb.h>

int lb_swrr_step(const int *weight, int *cw, int n)
{
	int i, best = -1, total = 0;

	for (i = 0; i < n; i++) {
		cw[i] += weight[i];
		total += weight[i];
		if (best < 0 || cw[i] > cw[best])
			best = i;
	}
	if (best >= 0)
		cw[best] -= total;
	return best;
}
