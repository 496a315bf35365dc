// placeholder: being written
#include <cstdio>
#include "app/commands.h"
namespace mabeam::app {
int cmd_portmap(int, char**) { std::fputs("mabeam portmap: not built yet\n", stderr); return 2; }
}
