// placeholder: being written
#include <cstdio>
#include "app/commands.h"
namespace mabeam::app {
int cmd_trace(int, char**) { std::fputs("mabeam trace: not built yet\n", stderr); return 2; }
}
