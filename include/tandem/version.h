/* tandem's version string, shown by `tandem -v` and on the stats page. */
#ifndef TANDEM_VERSION_H
#define TANDEM_VERSION_H

#define TANDEM_VERSION "0.1.0"

#endif
