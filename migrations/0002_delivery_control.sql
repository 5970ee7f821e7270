CREATE TABLE `delivery_attempts` (
	`event_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`clinic_id` text NOT NULL,
	`started_at` integer NOT NULL,
	`status` integer,
	`error` text,
	`duration_ms` integer NOT NULL,
	`outcome` text NOT NULL,
	PRIMARY KEY(`event_id`, `attempt`)
);
--> statement-breakpoint
ALTER TABLE `clinics` ADD `max_attempts` integer DEFAULT 200 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `max_age_seconds` integer DEFAULT 259200 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `concurrency` integer DEFAULT 4 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `rate_per_second` integer DEFAULT 20 NOT NULL;