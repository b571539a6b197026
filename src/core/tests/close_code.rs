//! Tests of `core::close_code`.

use crate::core::close_code::*;

#[test]
fn only_a_normal_close_is_terminal() {
    assert_eq!(classify(NORMAL), CloseAction::Stop);
    for code in [
        GOING_AWAY,
        ABNORMAL,
        1011,
        AUTH_TIMEOUT,
        AUTH_FAILED,
        TOO_MANY_CONNECTIONS,
        RATE_LIMITED,
        MESSAGE_TOO_LARGE,
        HEARTBEAT_TIMEOUT,
    ] {
        assert_eq!(classify(code), CloseAction::Reconnect, "{code}");
    }
}
