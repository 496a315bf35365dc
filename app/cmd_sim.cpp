// placeholder: being written
#include <cstdio>
#include "app/commands.h"
namespace mabeam::app {
int cmd_sim(int, char**) { return 2; }
int cmd_check(int, char**) { return 2; }
int cmd_sweep(int, char**) { return 2; }
}
