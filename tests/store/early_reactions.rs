//! Check-ins held for messages not yet recorded (`store::early_reactions`),
//! alike on both engines: a sender asks once, for a whole batch of messages
//! it just recorded, which of them have any waiting.

use upright::check_in::CheckInKind;
use upright::store::early_reactions::{EarlyReaction, hold, waiting_among};

use crate::{Engines, at};

fn held(platform: &str, message_id: &str, user_id: &str, kind: CheckInKind) -> EarlyReaction {
    EarlyReaction {
        platform: platform.into(),
        message_id: message_id.into(),
        user_id: user_id.into(),
        kind,
        display_name: None,
        reaction_id: None,
        room: None,
    }
}

#[test]
fn a_batch_of_messages_is_asked_for_its_waiting_check_ins_at_once() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        // Two members on $m1 (named once), one on $m3, one on another platform's $m2.
        hold(c, &held("matrix", "$m1", "@ana", CheckInKind::Done), at(1)).unwrap();
        hold(c, &held("matrix", "$m1", "@ben", CheckInKind::Pain), at(2)).unwrap();
        hold(c, &held("matrix", "$m3", "@ana", CheckInKind::Skip), at(3)).unwrap();
        hold(c, &held("discord", "$m2", "7", CheckInKind::Done), at(4)).unwrap();

        let batch = ["$m1", "$m2", "$m3", "$m4"].map(String::from);
        let mut waiting = waiting_among(c, "matrix", &batch).unwrap();
        waiting.sort();
        assert_eq!(waiting, ["$m1", "$m3"], "{engine}");
        assert_eq!(
            waiting_among(c, "discord", &batch).unwrap(),
            ["$m2"],
            "{engine}"
        );
        assert!(
            waiting_among(c, "matrix", &["$m2".to_string(), "$m4".to_string()])
                .unwrap()
                .is_empty(),
            "{engine}"
        );
    }
}
