// placeholder: being written
#include <cstdio>
#include "app/commands.h"
namespace mabeam::app {
int cmd_node(int, char**) { std::fputs("mabeam node: not built yet\n", stderr); return 2; }
}
