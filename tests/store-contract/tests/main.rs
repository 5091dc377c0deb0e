//! The storage contract: one set of tests, generic over the store, run against SQLite (a
//! temporary file per test) and PostgreSQL (a new database per test on the server named by
//! `EHC_TEST_DATABASE_URL`; without it the PostgreSQL tests fail, they never skip).
//!
//! Each module holds `pub async fn a_sentence<S: Backend>(store: &S)`; the `contract!` list at
//! the bottom instantiates every one of them once per database, as `sqlite::a_sentence` and
//! `postgres::a_sentence`. One test binary (`tests/main.rs` and its modules) keeps link times
//! down.

// Test helpers outside `#[test]` functions unwrap and panic too (clippy's test allowances cover
// only the test functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_change;
mod accounts;
mod alerts;
mod audit_and_units;
mod audit_search;
mod case_alerts;
mod cases;
mod documents;
mod faults;
mod invitations;
mod journey;
mod lockouts;
mod outbox;
mod recovery;
mod second_factor;
mod sessions;
mod settings;
mod support;

/// The core's model-based sign-in journeys, on fresh stores (fewer cases than the core's own
/// 10 000 on the in-memory store: each case here creates a database).
mod model {
    use ehc_store_contract::{PgFixture, SqliteFixture};

    #[test]
    fn random_sign_in_journeys_keep_the_rules_on_sqlite() {
        crate::journey::random_journeys_keep_the_sign_in_rules::<SqliteFixture>(64);
    }

    #[test]
    fn random_sign_in_journeys_keep_the_rules_on_postgres() {
        crate::journey::random_journeys_keep_the_sign_in_rules::<PgFixture>(24);
    }
}

macro_rules! contract {
    ($($module:ident :: $name:ident),* $(,)?) => {
        /// The contract on SQLite.
        mod sqlite {
            use ehc_store_contract::{Fixture, SqliteFixture};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let fixture = SqliteFixture::new().await;
                    crate::$module::$name(fixture.store()).await;
                    fixture.finish().await;
                }
            )*
        }
        /// The same contract on PostgreSQL.
        mod postgres {
            use ehc_store_contract::{Fixture, PgFixture};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let fixture = PgFixture::new().await;
                    crate::$module::$name(fixture.store()).await;
                    fixture.finish().await;
                }
            )*
        }
    };
}

contract! {
    case_alerts::next_alert_on_follows_each_write_and_due_cases_come_in_id_order_after_the_cursor,
    case_alerts::the_advice_overdue_filter_finds_cases_whose_awaited_advice_is_past_due,
    accounts::an_account_is_found_by_its_address_in_any_case_and_by_its_id,
    accounts::one_address_holds_one_account_whatever_its_case,
    accounts::a_refused_account_leaves_the_unit_of_work_usable,
    accounts::a_new_password_hash_replaces_the_old_and_an_unknown_id_changes_nothing,
    accounts::eight_concurrent_registrations_of_one_address_make_one_account,
    accounts::many_accounts_are_read_at_once_and_unknown_ids_are_skipped,
    invitations::reinviting_an_address_supersedes_its_pending_invitation,
    invitations::the_latest_invitation_of_an_address_is_found_in_any_case,
    invitations::a_link_is_consumed_once_and_every_unusable_link_says_why,
    invitations::eight_concurrent_registrations_with_one_link_make_exactly_one_account,
    invitations::grants_come_back_oldest_first_and_a_revoked_grant_cannot_be_revoked_again,
    second_factor::an_app_enrolment_round_trips_and_its_set_up_step_never_works_again,
    second_factor::a_text_enrolment_round_trips_and_a_second_enrolment_is_refused,
    second_factor::a_totp_step_is_accepted_only_when_newer_than_the_last,
    second_factor::eight_concurrent_checks_of_one_totp_step_have_exactly_one_winner,
    second_factor::a_texted_code_is_consumed_once_and_never_after_its_expiry,
    second_factor::eight_concurrent_uses_of_one_texted_code_have_exactly_one_winner,
    second_factor::the_send_limit_refuses_the_sixth_text_within_an_hour_and_says_when_to_retry,
    second_factor::eight_concurrent_sends_never_exceed_the_send_limit,
    recovery::a_newer_reset_link_voids_the_older_and_a_link_is_consumed_once,
    recovery::voiding_an_accounts_pending_reset_links_leaves_used_and_others_links_alone,
    recovery::eight_concurrent_uses_of_one_reset_link_have_exactly_one_winner,
    recovery::ending_sessions_is_kept_per_account_and_a_second_factor_can_be_removed,
    recovery::a_recovery_code_is_consumed_once_and_a_new_set_replaces_the_old,
    account_change::eight_concurrent_requests_checking_the_newest_link_store_exactly_one,
    account_change::a_newer_email_change_link_voids_the_older_and_a_link_is_consumed_once,
    account_change::an_uncommitted_email_change_link_leaves_no_trace,
    account_change::voiding_an_accounts_pending_email_change_links_leaves_used_and_others_links_alone,
    account_change::the_latest_email_change_link_is_the_newest_of_the_account_whatever_its_status,
    account_change::eight_concurrent_uses_of_one_email_change_link_have_exactly_one_winner,
    account_change::a_new_address_replaces_the_old_and_an_unknown_id_changes_nothing,
    account_change::a_new_address_held_by_another_account_in_any_case_is_refused_and_changes_nothing,
    account_change::eight_concurrent_changes_to_one_address_leave_it_with_one_account,
    lockouts::lockout_counters_follow_the_lockout_rule_per_account_and_kind,
    lockouts::concurrent_failures_are_all_counted,
    outbox::a_queued_message_is_claimed_once_until_its_lease_runs_out,
    outbox::a_case_alert_round_trips_through_the_outbox,
    outbox::a_sent_message_loses_its_secret_but_keeps_its_recipient,
    outbox::sent_reset_and_email_change_links_lose_their_tokens_and_change_notices_keep_theirs,
    outbox::a_failed_message_is_due_again_at_its_next_attempt_time,
    outbox::a_dead_letter_is_listed_never_claimed_and_can_be_retried,
    outbox::four_concurrent_claimers_claim_each_message_exactly_once,
    outbox::a_unit_of_work_reads_where_a_message_stands_as_the_queue_does,
    audit_and_units::an_uncommitted_unit_of_work_leaves_no_trace,
    audit_and_units::audit_entries_come_back_in_order_and_cannot_be_changed_or_deleted,
    audit_and_units::migrating_twice_changes_nothing,
    audit_search::an_audit_search_selects_by_person_case_kind_and_instants_newest_first,
    audit_search::audit_pages_neither_repeat_nor_skip_an_entry_while_entries_are_appended,
    audit_search::each_audit_filter_is_served_by_its_index,
    audit_search::the_audit_port_only_appends_and_searches_and_the_database_refuses_changes,
    journey::the_sign_in_journey_runs_end_to_end,
    sessions::a_session_round_trips_until_it_expires_and_expired_ones_are_deleted,
    sessions::a_deleted_session_is_not_brought_back_by_a_later_save,
    settings::an_upsert_inserts_a_new_urn_and_overwrites_a_known_one,
    settings::get_many_gives_the_known_settings_in_urn_order_each_once,
    settings::search_finds_a_urn_first_then_names_containing_the_query_in_any_case,
    settings::count_counts_every_setting_whatever_its_status,
    settings::an_uncommitted_unit_of_work_leaves_the_settings_as_they_were,
    settings::a_gias_import_is_all_or_nothing,
    cases::a_case_round_trips_whole_with_version_one,
    cases::a_second_case_with_the_same_reference_is_refused_and_the_unit_of_work_stays_usable,
    cases::an_update_needs_the_current_version_and_a_stale_one_changes_nothing,
    cases::an_uncommitted_unit_of_work_leaves_no_case_setting_or_timeline,
    cases::a_tray_holds_every_case_the_given_cases_or_the_cases_of_the_given_settings,
    cases::a_case_unlinked_from_a_setting_leaves_that_sendcos_tray,
    cases::tray_filters_select_by_stage_date_setting_and_officer,
    cases::trays_sort_by_next_date_with_none_last_by_name_and_by_received_newest_first,
    cases::tray_pages_continue_without_overlap_and_count_every_page,
    cases::a_timeline_comes_back_newest_first_up_to_the_limit_with_its_audiences,
    cases::a_timeline_cannot_be_changed_or_deleted,
    cases::the_grants_of_a_case_are_its_family_contributors_advocates_and_linked_sendcos,
    cases::no_la_officers_is_an_empty_list,
    alerts::a_preference_round_trips_and_defaults_to_straight_away,
    alerts::parked_alerts_leave_by_whole_people_before_the_cutoff_oldest_first,
    alerts::taken_alerts_come_back_if_the_unit_of_work_is_not_committed,
    alerts::two_digest_runs_at_once_never_take_the_same_alert,
    documents::a_document_round_trips_whole_and_a_case_lists_its_own_newest_first,
    documents::an_uncommitted_document_leaves_no_row,
    documents::a_document_must_name_a_stored_case_and_account,
    documents::a_content_hash_is_used_once_a_committed_document_of_any_case_has_it,
}
