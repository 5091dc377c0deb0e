//! The guidance shown with each stage on the case tracker, in the LA's words. The defaults
//! below paraphrase the SEND Code of Practice (2015) chapter 9; an LA replaces any of them in
//! the hub's configuration (`[guidance]`, one key per stage).

use serde::{Deserialize, Serialize};

use super::Stage;

/// One text per [`Stage`], shown to everyone who can see the tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StageGuidance {
    /// [`Stage::RequestReceived`].
    pub request_received: String,
    /// [`Stage::Assessment`].
    pub assessment: String,
    /// [`Stage::DraftPlan`].
    pub draft_plan: String,
    /// [`Stage::PlanMaintained`].
    pub plan_maintained: String,
    /// [`Stage::Review`].
    pub review: String,
    /// [`Stage::Closed`].
    pub closed: String,
}

impl Default for StageGuidance {
    fn default() -> Self {
        Self {
            request_received: "The local authority has received the request for an EHC needs assessment. It must decide whether to carry out an assessment within 6 weeks of the day it received the request, and tell the family and the education setting.".into(),
            assessment: "The local authority is gathering advice and information about the child or young person's needs from the family, the education setting, health and social care, an educational psychologist and anyone else who can help. Each person asked has 6 weeks to give their advice.".into(),
            draft_plan: "The family has a draft EHC plan. They have at least 15 days to comment on it, ask for a particular school or other institution to be named, and ask for a meeting. The final plan must be issued within 20 weeks of the request.".into(),
            plan_maintained: "The EHC plan is in place. The local authority reviews it at least once every 12 months, and more often for children under 5. Before moving between phases of education the plan is reviewed and amended in good time.".into(),
            review: "A review of the EHC plan is under way. Everyone invited can give their views before the meeting. The report follows within 2 weeks of the meeting and the local authority's decision within 4 weeks.".into(),
            closed: "The case is closed. If the family disagrees with a decision, the decision letter explains how to ask for mediation and how to appeal to the SEND Tribunal.".into(),
        }
    }
}

impl StageGuidance {
    /// The text for `stage`.
    pub fn for_stage(&self, stage: Stage) -> &str {
        match stage {
            Stage::RequestReceived => &self.request_received,
            Stage::Assessment => &self.assessment,
            Stage::DraftPlan => &self.draft_plan,
            Stage::PlanMaintained => &self.plan_maintained,
            Stage::Review => &self.review,
            Stage::Closed => &self.closed,
        }
    }
}
