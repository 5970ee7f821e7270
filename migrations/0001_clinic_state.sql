CREATE TABLE `appointment_versions` (
	`clinic_id` text NOT NULL,
	`event_id` text NOT NULL,
	`appointment_id` text NOT NULL,
	`order_key` text NOT NULL,
	`date` text,
	`time` text,
	`reschedule_state` integer,
	`rescheduled_by` integer,
	`rescheduled_by_name` text,
	PRIMARY KEY(`clinic_id`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `appointment_versions_idx` ON `appointment_versions` (`clinic_id`,`appointment_id`);--> statement-breakpoint
CREATE TABLE `appointments` (
	`clinic_id` text NOT NULL,
	`id` text NOT NULL,
	`source_updated_at` integer,
	`order_key` text NOT NULL,
	`deleted_at` integer,
	`last_event_id` text NOT NULL,
	`client_id` text,
	`service_id` text,
	`service_name` text,
	`staff_id` text,
	`staff_name` text,
	`date` text,
	`time` text,
	`starts_at` integer,
	`ends_at` integer,
	`original_date` text,
	`original_time` text,
	`duration_minutes` integer,
	`state_code` integer,
	`state_name` text,
	`reschedule_state` integer,
	`rescheduled_by` integer,
	`rescheduled_by_name` text,
	PRIMARY KEY(`clinic_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `appointments_clinic_date_idx` ON `appointments` (`clinic_id`,`date`);--> statement-breakpoint
CREATE TABLE `clients` (
	`clinic_id` text NOT NULL,
	`id` text NOT NULL,
	`source_updated_at` integer,
	`order_key` text NOT NULL,
	`deleted_at` integer,
	`last_event_id` text NOT NULL,
	`name` text,
	`phone_e164` text,
	`phone_raw` text,
	`email` text,
	`data` text,
	PRIMARY KEY(`clinic_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `his_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `his_tokens_hash_unique` ON `his_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `his_tokens_clinic_idx` ON `his_tokens` (`clinic_id`);--> statement-breakpoint
CREATE TABLE `services` (
	`clinic_id` text NOT NULL,
	`id` text NOT NULL,
	`source_updated_at` integer,
	`order_key` text NOT NULL,
	`deleted_at` integer,
	`last_event_id` text NOT NULL,
	`name` text,
	`data` text,
	PRIMARY KEY(`clinic_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `staff` (
	`clinic_id` text NOT NULL,
	`id` text NOT NULL,
	`source_updated_at` integer,
	`order_key` text NOT NULL,
	`deleted_at` integer,
	`last_event_id` text NOT NULL,
	`name` text,
	`data` text,
	PRIMARY KEY(`clinic_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `visit_states` (
	`clinic_id` text NOT NULL,
	`event_id` text NOT NULL,
	`visit_id` text NOT NULL,
	`state_code` integer,
	`state_name` text,
	`service_id` text,
	`at` integer,
	PRIMARY KEY(`clinic_id`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `visit_states_visit_idx` ON `visit_states` (`clinic_id`,`visit_id`);--> statement-breakpoint
CREATE TABLE `visits` (
	`clinic_id` text NOT NULL,
	`id` text NOT NULL,
	`source_updated_at` integer,
	`order_key` text NOT NULL,
	`deleted_at` integer,
	`last_event_id` text NOT NULL,
	`appointment_id` text,
	`client_id` text,
	`service_id` text,
	`service_name` text,
	`staff_id` text,
	`staff_name` text,
	`state_code` integer,
	`state_name` text,
	`visit_date` text,
	`chup_created_at` integer,
	`queued_at` integer,
	`alerted_at` integer,
	`arrived_at` integer,
	`serving_at` integer,
	`served_at` integer,
	`cancelled_at` integer,
	`no_show_at` integer,
	PRIMARY KEY(`clinic_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `visits_clinic_date_idx` ON `visits` (`clinic_id`,`visit_date`);--> statement-breakpoint
CREATE INDEX `visits_clinic_client_idx` ON `visits` (`clinic_id`,`client_id`,`visit_date`);--> statement-breakpoint
CREATE INDEX `visits_clinic_appointment_idx` ON `visits` (`clinic_id`,`appointment_id`);--> statement-breakpoint
ALTER TABLE `clinics` ADD `country` text DEFAULT 'MY' NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `delivery_format` text DEFAULT 'cloudevents' NOT NULL;