/* The pd-rnn library: one binary, rnn.pd_linux, registering the three
 * classes.  Load it with [declare -lib rnn] or Pd's -lib rnn. */

#include "rnn_shared.h"

void rnn_setup(void)
{
    rnn_shared_setup();
    rnn_encode_setup();
    rnn_cell_setup();
    rnn_decode_setup();
    post("pd-rnn %s: [rnn.encode], [rnn.cell], [rnn.decode]; recurrent "
         "networks that learn live", RNN_VERSION);
}
