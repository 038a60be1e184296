/* placeholder, replaced below */
#include <tandem/peers.h>

int peers_start(struct cfg *cfg) { (void)cfg; return 0; }
void peers_reload(struct cfg *ncfg) { (void)ncfg; }
void peers_stop(void) { }
