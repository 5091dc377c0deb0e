//! Every case of shared/acceptance/auth-journey.md, and what every page must do, against the
//! running hub over HTTP — a real
//! server on port 0 and a cookie-keeping client — on SQLite and on PostgreSQL
//! (`EHC_TEST_DATABASE_URL`; each test in its own new database).
//!
//! Each module holds `pub async fn a_sentence<B: Backend>(store: &B)`; the `journey!` list at
//! the bottom runs every one once per database, as `sqlite::a_sentence` and
//! `postgres::a_sentence`.

// Test helpers outside `#[test]` functions unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod advice;
mod alerts;
mod app;
mod attachments;
mod audit;
mod cases;
mod documents;
mod download;
mod faults;
mod fuzz;
mod meetings;
mod pages;
mod plan;
mod recovery;
mod registration;
mod request;
mod request_documents;
mod sign_in;
mod sign_in_model;
mod support;
mod text;
mod views;

macro_rules! journey {
    ($($module:ident :: $name:ident),* $(,)?) => {
        /// The journey on SQLite.
        mod sqlite {
            use ehc_store_contract::{Fixture, SqliteFixture};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fixture = SqliteFixture::new().await;
                    crate::$module::$name(fixture.store()).await;
                    fixture.finish().await;
                }
            )*
        }
        /// The journey on PostgreSQL.
        mod postgres {
            use ehc_store_contract::{Fixture, PgFixture};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fixture = PgFixture::new().await;
                    crate::$module::$name(fixture.store()).await;
                    fixture.finish().await;
                }
            )*
        }
    };
}

journey! {
    account::a_password_change_asks_for_the_password_again_then_offers_to_sign_out_elsewhere,
    account::a_new_authenticator_app_replaces_texts_once_its_code_is_right_with_new_recovery_codes,
    account::a_new_mobile_number_gets_a_code_before_it_replaces_the_old,
    account::a_new_email_address_is_confirmed_by_the_link_sent_to_it,
    account::an_address_another_account_has_is_refused_only_at_the_link,
    account::account_changes_need_a_signed_in_person_a_csrf_token_and_lock_wrong_passwords,
    audit::an_officer_searches_the_audit_log_by_person_case_kind_and_days_and_pages_through_it,
    audit::an_officer_exports_the_audit_log_as_csv_with_formulas_defused,
    audit::a_person_who_is_not_an_la_officer_is_refused_the_audit_log_and_sees_no_entry,
    audit::bad_audit_filters_show_the_error_summary_and_search_nothing,
    recovery::a_forgotten_password_is_reset_by_the_emailed_link_and_the_code_is_still_asked_for,
    recovery::a_reset_link_is_void_once_a_newer_one_is_sent_and_after_an_hour,
    recovery::an_la_officer_resets_a_second_factor_and_the_next_sign_in_sets_one_up_again,
    recovery::a_second_factor_reset_is_refused_to_anyone_but_another_la_officer,
    recovery::recovery_codes_are_shown_once_after_set_up_and_each_signs_in_once_instead_of_a_code,
    recovery::few_recovery_codes_left_are_announced_and_the_last_one_brings_a_new_set,
    views::the_parent_writes_and_orders_their_views_and_the_la_and_setting_read_them,
    views::empty_text_or_an_item_already_taken_out_shows_an_error_and_changes_nothing,
    views::a_photo_uploaded_from_about_me_is_placed_in_it_and_opens_for_the_la,
    alerts::a_person_chooses_a_daily_digest_and_a_post_without_a_choice_changes_nothing,
    registration::an_invited_person_registers_then_signs_in_in_any_case_and_a_second_invitation_makes_no_second_account,
    registration::a_used_link_shows_the_cannot_be_used_page_and_cannot_set_the_password_again,
    registration::a_link_works_for_six_days_twenty_three_hours_and_not_seven_days_and_a_minute,
    registration::a_reinvitation_voids_the_older_link_and_the_newer_one_works,
    registration::a_password_without_a_capital_is_refused_with_the_address_kept_and_nothing_stored,
    registration::different_password_and_confirmation_ask_for_the_same_password_in_both_fields,
    registration::a_300_character_password_is_refused_at_registration_and_at_sign_in,
    registration::a_registration_posted_without_its_csrf_token_is_refused_and_stores_nothing,
    registration::an_expired_link_offers_a_new_one_sent_only_to_an_invited_address_with_the_same_answer,
    sign_in::an_unknown_address_and_a_wrong_password_get_the_same_message_and_status,
    sign_in::after_the_password_and_before_the_code_the_work_tray_sends_to_the_second_factor,
    sign_in::the_session_cookie_changes_after_the_password_and_after_the_code_and_the_first_reaches_nothing,
    sign_in::after_sign_out_the_old_session_cookie_reaches_nothing,
    sign_in::a_password_step_from_a_half_signed_in_session_issues_a_new_id,
    app::the_key_is_shown_in_groups_of_four_and_the_qr_code_holds_the_same_key,
    app::the_code_oathtool_prints_signs_in_once_and_not_twice,
    app::at_the_rfc_time_081804_is_accepted_and_81804_is_refused,
    app::start_again_from_the_app_returns_to_the_choice_and_texts_can_then_be_set_up,
    app::an_la_name_with_a_colon_still_gives_a_readable_qr_code_whose_issuer_has_no_colon,
    text::a_mobile_typed_with_plus_44_and_a_zero_gets_the_text_in_e164_and_its_code_signs_in,
    text::resend_sends_a_second_text_and_the_first_code_still_works,
    text::a_code_used_once_is_refused_the_second_time,
    text::a_code_nine_minutes_fifty_nine_old_works_and_ten_minutes_one_second_old_does_not,
    text::five_wrong_codes_lock_so_the_right_code_is_refused_and_the_page_says_when,
    text::the_sixth_send_within_the_hour_sends_nothing_and_says_why,
    text::the_code_page_says_sending_is_delayed_while_the_latest_text_waits,
    sign_in_model::three_browsers_signing_in_at_once_keep_the_sign_in_rules_over_http,
    fuzz::random_multipart_uploads_never_cause_a_5xx_and_store_nothing,
    pages::pages_carry_security_headers_and_an_unknown_path_gets_a_plain_404,
    pages::too_many_posts_from_one_address_get_a_429_page_and_the_audit_log_has_the_address,
    pages::signed_in_pages_say_when_the_session_times_out_and_offer_to_stay_signed_in,
    cases::an_la_officer_creates_a_case_received_by_post_and_its_decision_date_counts_from_the_day_received,
    cases::bad_case_details_and_impossible_events_are_refused_with_the_error_summary_and_change_nothing,
    cases::a_sendco_never_sees_another_settings_case_which_answers_the_same_404_as_no_case,
    cases::a_contributor_sees_only_their_advice_request_on_their_case_and_cannot_change_anything,
    cases::a_contributors_tray_shows_no_statutory_date_that_is_not_theirs,
    cases::back_office_forms_refuse_a_person_who_is_not_la_staff_before_reading_the_fields,
    cases::a_revoked_parent_gets_404_at_the_very_next_request_and_an_empty_tray,
    cases::an_advocates_access_ends_at_midnight_london_after_the_last_day,
    cases::the_tray_filters_sorts_and_pages_sixty_cases_and_says_the_status_in_words,
    cases::the_family_sees_everyone_who_has_access_to_the_case,
    cases::every_case_form_without_its_csrf_token_is_refused_and_changes_nothing,
    cases::linking_and_unlinking_a_setting_gives_and_ends_its_sendcos_access_at_the_next_request,
    cases::a_change_from_a_stale_page_is_refused_with_409_and_saves_nothing,
    cases::a_request_received_today_in_london_is_accepted_just_after_midnight_bst,
    cases::an_event_recorded_by_mistake_is_withdrawn_with_a_reason_and_stays_visible_as_withdrawn,
    request::an_anonymous_request_comes_first_in_the_las_tray_and_its_e_mailed_link_gives_the_parent_the_case,
    request::each_question_page_shows_its_own_errors_and_nothing_is_written,
    request::a_signed_in_sendcos_request_is_linked_to_their_setting,
    request::a_request_sent_just_after_midnight_bst_is_received_that_london_day,
    request::sending_requests_too_often_from_one_address_gets_the_429_page,
    request_documents::a_signed_in_parent_adds_two_files_removes_one_and_the_new_case_has_exactly_the_other_with_its_receipt,
    request_documents::a_refused_file_shows_its_message_and_is_not_added_to_the_request,
    request_documents::signed_out_the_documents_step_explains_how_to_send_files_later_and_takes_none,
    request_documents::the_files_added_stay_with_the_request_while_the_person_goes_back_and_forth,
    request_documents::a_file_swept_before_the_request_is_sent_stops_the_send_with_a_message,
    plan::a_draft_is_published_the_family_comments_the_la_sees_it_and_the_final_plan_waits_for_the_last_day,
    plan::two_versions_compare_section_by_section_with_words_added_and_removed_marked_for_everyone,
    plan::bad_plan_input_is_refused_with_the_error_summary_and_changes_nothing,
    plan::plan_pages_answer_404_to_people_who_may_not_see_the_case_and_403_to_changes_they_may_not_make,
    plan::every_plan_form_without_its_csrf_token_is_refused_and_changes_nothing,
    plan::a_draft_sent_after_the_case_changed_comes_back_with_its_text_and_goes_through_the_second_time,
    meetings::a_meeting_less_than_two_weeks_ahead_is_warned_about_then_invitations_go_out_without_the_childs_name,
    meetings::invitees_reply_and_give_views_and_anyone_else_gets_403_or_404_with_nothing_changed,
    meetings::a_sendco_holds_the_meeting_and_sends_its_report_and_the_las_decision_is_tracked,
    download::everyone_who_sees_a_case_downloads_a_printable_summary_of_what_they_may_see_and_it_is_audited,
    download::a_person_who_may_not_see_a_case_gets_404_for_its_download_and_nothing_is_audited,
    download::the_zip_holds_every_document_the_person_may_see_and_the_familys_words_each_document_audited,
    documents::a_parents_upload_is_downloaded_by_the_people_on_the_case_and_is_404_for_everyone_else,
    documents::a_contributors_word_document_is_seen_by_them_and_the_la_only_and_downloads_as_an_attachment,
    documents::an_upload_over_20_mb_is_refused_with_the_limit_and_nothing_is_stored,
    documents::a_renamed_executable_a_missing_file_or_title_and_a_virus_are_refused_and_nothing_is_stored,
    documents::an_upload_without_its_csrf_token_first_is_refused_and_stores_nothing,
    advice::the_la_requests_advice_the_contributor_drafts_then_submits_and_the_family_reads_it,
    advice::bad_advice_forms_show_their_errors_and_change_nothing,
    advice::a_contributor_of_another_case_or_request_gets_404,
    advice::overdue_advice_is_tagged_and_filtered_on_the_officers_tray,
    attachments::a_contributor_attaches_reports_to_their_advice_and_the_family_sees_them_once_it_is_submitted,
    attachments::a_sendco_asked_for_advice_attaches_a_report_that_nobody_else_sees_until_it_is_submitted,
    attachments::invitees_give_views_as_files_and_the_report_gets_its_files_once_the_meeting_is_held,
    attachments::a_draft_plan_carries_its_document_and_any_other_document_is_refused,
}
