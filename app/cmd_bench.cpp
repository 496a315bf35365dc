// placeholder: being written
#include "app/commands.h"
namespace mabeam::app {
int cmd_bench(int, char**) { return 2; }
}
