<?php
// Runs the PHP plugin's own export, `training_to_json()` of tool_save_attestoodle's lib.php,
// over a JSON dump of a test database, for tests/save_legacy.rs.
//
// Usage: php export.php LIB.php DUMP.json TRAININGID
//
// LIB.php is the plugin's lib.php (not part of this repository: the test runs only when
// ATTESTOODLE_PLUGIN_LIB names it). DUMP.json maps each table name (without prefix) to its rows
// in id order, every value a string or null, as Moodle's DML returns them. `FakeDB` answers the
// three calls the export makes, as Moodle's $DB does: a condition on null is `IS NULL`, other
// values compare as strings, get_record gives the first match, get_records is keyed by id.

error_reporting(0); // The plugin reads properties of `false` on missing rows; PHP warns.
define('MOODLE_INTERNAL', true);

class FakeDB {
    private $tables;

    public function __construct($file) {
        $this->tables = json_decode(file_get_contents($file), true);
    }

    private function matches($row, $conditions) {
        foreach ($conditions as $column => $value) {
            if ($value === null) {
                if ($row[$column] !== null) {
                    return false;
                }
            } else if ($row[$column] === null || (string)$row[$column] !== (string)$value) {
                return false;
            }
        }
        return true;
    }

    public function get_records($table, $conditions) {
        $out = array();
        foreach ($this->tables[$table] as $row) {
            if ($this->matches($row, $conditions)) {
                $out[$row['id']] = (object)$row;
            }
        }
        return $out;
    }

    public function get_record($table, $conditions) {
        $rows = $this->get_records($table, $conditions);
        return $rows ? reset($rows) : false;
    }

    // The one SQL query of the export: the section row of a course module.
    public function get_record_sql($sql, $params) {
        $cm = $this->get_record('course_modules', array('id' => $params[0]));
        return $cm ? $this->get_record('course_sections', array('id' => $cm->section)) : false;
    }
}

$DB = new FakeDB($argv[2]);
require($argv[1]);
echo training_to_json($argv[3]);
